"""Reading a run's MCAP file back, including the torn file of a killed run."""


def read_bag(path: str, wanted=None) -> list:
    """(topic, log_time_ns, decoded message) of every message (whose topic is `wanted`).

    Reads sequentially, so the file of a run that was killed (no footer, a torn last
    record) yields everything up to its last flush.
    """
    from mcap.exceptions import McapError
    from mcap.records import Channel, Message, Schema
    from mcap.stream_reader import StreamReader
    from mcap_ros2.decoder import DecoderFactory

    factory, schemas, channels, decoders, messages = DecoderFactory(), {}, {}, {}, []
    with open(path, "rb") as stream:
        try:
            for record in StreamReader(stream).records:
                if isinstance(record, Schema):
                    schemas[record.id] = record
                elif isinstance(record, Channel):
                    channels[record.id] = record
                elif isinstance(record, Message):
                    channel = channels[record.channel_id]
                    if wanted is not None and not wanted(channel.topic):
                        continue
                    if channel.id not in decoders:
                        decoders[channel.id] = factory.decoder_for(
                            channel.message_encoding, schemas[channel.schema_id])
                    messages.append((channel.topic, record.log_time,
                                     decoders[channel.id](record.data)))
        except (McapError, EOFError, ValueError, KeyError):
            pass          # torn tail of a run that did not finish
    return messages
