import {
  decodeJsonLiteral,
  MIN_DEFERRED_DATA,
  splitEventData
} from '../../logs/jsonMessage';

/** A long message with every kind of escape JSON.stringify writes, and a few it does not. */
function longMessage(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(
      i % 7 === 0
        ? `\x1b[1;31mred ${i}\x1b[0m "quoted" back\\slash\\n not a break`
        : i % 11 === 0
          ? `10%\r100% tab\there ✓ é 😀 \u2028 ctrl\x07\x00`
          : `#6 ${i} Collecting package-${i}`
    );
  }
  return out.join('\n');
}

describe('splitEventData', () => {
  it('cuts out the message of a long event: the rest parsed, the literal decoding to the message', () => {
    const event = {
      seq: 42,
      phase: 'building',
      message: longMessage(600),
      progress: { current: 3, total: 9 },
      time: '2026-01-01T00:00:00.000Z'
    };
    const data = JSON.stringify(event);
    const split = splitEventData(data);
    expect(split).not.toBeNull();
    expect(split!.rest).toEqual({ ...event, message: '' });
    expect(decodeJsonLiteral(split!.message.literal)).toBe(event.message);
    expect(split!.message.lines).toBe(600);
  });

  it('counts \\u000a as a line break and an escaped backslash before n as none', () => {
    const body = 'x'.repeat(MIN_DEFERRED_DATA);
    const data = `{"seq":1,"message":"a\\u000Ab\\\\nc\\nd${body}","phase":"built","time":""}`;
    const split = splitEventData(data)!;
    expect(split.message.lines).toBe(3);
    expect(decodeJsonLiteral(split.message.literal).split('\n')).toHaveLength(
      3
    );
    expect(split.rest).toEqual({
      seq: 1,
      message: '',
      phase: 'built',
      time: ''
    });
  });

  it('parses short data whole, and leaves data not in the service shape to JSON.parse', () => {
    expect(splitEventData(JSON.stringify({ seq: 1, message: 'a\nb' }))).toBe(
      null
    );
    const long = 'y'.repeat(MIN_DEFERRED_DATA);
    // No message key; the key inside another string; an unterminated or bad literal.
    expect(splitEventData(JSON.stringify({ seq: 1, text: long }))).toBeNull();
    expect(
      splitEventData(JSON.stringify({ seq: 1, note: `"message":"${long}` }))
    ).toBeNull();
    expect(splitEventData(`{"seq":1,"message":"${long}`)).toBeNull();
    expect(splitEventData(`{"seq":1,"message":"${long}\\q"}`)).toBeNull();
    expect(splitEventData(`{"seq":1,"message":"${long}"`)).toBeNull();
  });

  it('keeps a literal that is not valid JSON as it is rather than losing it', () => {
    expect(decodeJsonLiteral('plain')).toBe('plain');
    expect(decodeJsonLiteral('bad \\x')).toBe('bad \\x');
  });
});
