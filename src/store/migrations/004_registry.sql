-- Registry: a meter has at most one channel per address. Registry imports find a meter's channel by its address,
-- and a second row with the same address would only be a duplicate of the same line.
CREATE UNIQUE INDEX comm_channel_meter_address ON comm_channel (meter_id, address);
