-- SMS: every signed inbound message but DRAW (whose retries the draw itself replays) with its
-- reply (a retried webhook gets the same answer), and outbound delivery status. Who texted us
-- is customer.sms_inbound_at (001), which the draw function keeps too.

CREATE TABLE sms_inbound (
    message_sid text PRIMARY KEY,
    phone       text NOT NULL,
    body        text NOT NULL,
    received_at timestamptz NOT NULL,
    reply       text,          -- NULL while the first delivery is in flight
    answered_at timestamptz
);
CREATE INDEX sms_inbound_phone ON sms_inbound (phone, received_at);

-- Twilio status callbacks, by the provider's message id (outbox rows keep that id).
CREATE TABLE sms_delivery (
    message_sid text PRIMARY KEY,
    phone       text,
    status      text NOT NULL,
    rank        int NOT NULL,  -- how far along: a late "sent" never overwrites "delivered"
    error_code  int,
    updated_at  timestamptz NOT NULL
);
