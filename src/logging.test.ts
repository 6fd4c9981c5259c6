import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from './logging.ts';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.length > 0),
      );
      done();
    },
  });
  return { stream, lines };
}

describe('createLogger', () => {
  test('JSON lines with the logger name; password fields are redacted wherever they sit', () => {
    const { stream, lines } = capture();
    const log = createLogger('collect', { destination: stream, pretty: false, level: 'info' });
    log.info({ channel: { address: 'tcp://10.0.0.1:4001', password: { seed: 'abc123' } }, password: 'x' }, 'read');
    log.debug('not shown at info');
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.name, 'collect');
    assert.equal(entry.msg, 'read');
    assert.equal(entry.password, '[redacted]');
    assert.equal(entry.channel.password, '[redacted]');
    assert.equal(entry.channel.address, 'tcp://10.0.0.1:4001');
    assert.doesNotMatch(lines[0], /abc123/);
  });

  test('pretty output for people, still without the password', () => {
    const { stream, lines } = capture();
    const log = createLogger('collect', { destination: stream, pretty: true });
    log.warn({ meter: '12345678', task: { password: 'segredo' } }, 'clock syncs requested');
    const text = lines.join('\n');
    assert.match(text, /WARN/);
    assert.match(text, /clock syncs requested/);
    assert.match(text, /12345678/);
    assert.doesNotMatch(text, /segredo/);
  });
});
