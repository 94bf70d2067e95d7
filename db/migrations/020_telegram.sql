-- Telegram: when a customer blocked the bot (nothing is sent there until they come back).
-- Their Telegram user id is customer.telegram_user_id (001, unique: one account, one phone).

ALTER TABLE customer ADD COLUMN telegram_blocked_at timestamptz;
