/**
 * XSD validation of produced files with xmllint-wasm (libxml2 compiled to WebAssembly).
 *
 * The package's validateXML() starts a worker thread, compiles and tiers up the wasm module and tears it all down
 * for every call: ~250 ms of CPU each time, which for a 10,000-point day was a third of the whole export. So this
 * module keeps its own workers alive running the package's worker script (xmllint-node.js), which runs one xmllint
 * per message with a fresh wasm instance and file system: after the first call the compiled module is reused and
 * a call costs ~35 ms plus the validation itself. That worker protocol is internal to xmllint-wasm 5.x (message
 * fields inputFiles/args/initialMemory/maxMemory tagged 'xmllint-wasm'; cumulative stdout/stderr in the reply):
 * `validateXmlBatch` checks the reply's shape and fails loudly if a new version changes it, and the tests exercise it.
 *
 * Files go in batches (one xmllint run over many files), as bytes whose buffers are transferred, not copied; libxml
 * messages are mapped back to each file by the internal name it was given.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FronteiraError } from '../domain/errors.ts';

export interface XmlFile {
  /** What the messages should name (a point/day label or the file name). */
  label: string;
  /** The document; bytes are transferred to the worker (the array is detached afterwards). */
  xml: string | Uint8Array;
}

export interface FileValidation {
  label: string;
  valid: boolean;
  /** libxml messages for this file, each with its line: "line 12: … Element '…': … is not a valid value …". */
  errors: string[];
}

const WORKER_SCRIPT = createRequire(import.meta.url).resolve('xmllint-wasm/xmllint-node.js');
const MESSAGE_KEY = 'xmllint-wasm';
/** 64 KiB wasm pages: 16 MiB to start; 1 GiB is a ceiling (reserved address space, not resident memory). */
const INITIAL_MEMORY_PAGES = 256;
const MAX_MEMORY_PAGES = 16384;

const xsdCache = new Map<string, string>();

function schemaText(xsdPath: string): string {
  let text = xsdCache.get(xsdPath);
  if (text === undefined) {
    try {
      text = readFileSync(xsdPath, 'utf8');
    } catch (e) {
      throw new FronteiraError('FRONTEIRA_E_EXPORT_INVALID', `XSD ${xsdPath} cannot be read: ${(e as Error).message}`, {
        xsd: xsdPath,
      });
    }
    xsdCache.set(xsdPath, text);
  }
  return text;
}

function validatorFailure(message: string, details: Record<string, unknown> = {}): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_EXPORT_INVALID', `XSD validator: ${message}`, details);
}

interface Reply {
  exitCode: number;
  stderr: string;
}

/** One persistent xmllint worker: one run at a time. */
class LintWorker {
  private readonly worker: Worker;
  /** The worker's stderr is cumulative across runs: what earlier runs already printed. */
  private seen = 0;
  private pending: { resolve(r: Reply): void; reject(e: Error): void } | null = null;
  private dead: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SCRIPT);
    this.worker.unref();
    this.worker.on('message', (m: unknown) => {
      const msg = m as { [MESSAGE_KEY]?: unknown; exitCode?: unknown; stderr?: unknown };
      if (msg?.[MESSAGE_KEY] !== true || !this.pending) return;
      const p = this.pending;
      this.pending = null;
      if (typeof msg.exitCode !== 'number' || typeof msg.stderr !== 'string') {
        p.reject(validatorFailure('unexpected reply from the xmllint-wasm worker (package version changed?)'));
        return;
      }
      // An abort reply carries its own message instead of the cumulative text.
      const cumulative = msg.exitCode !== -1 && msg.stderr.length >= this.seen;
      const text = cumulative ? msg.stderr.slice(this.seen) : msg.stderr;
      if (cumulative) this.seen = msg.stderr.length;
      p.resolve({ exitCode: msg.exitCode, stderr: text });
    });
    const fail = (e: Error) => {
      this.dead = e;
      this.pending?.reject(e);
      this.pending = null;
    };
    this.worker.on('error', (e) => fail(validatorFailure(`worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => fail(validatorFailure(`worker exited (${code})`)));
  }

  get usable(): boolean {
    return this.dead === null;
  }

  run(inputFiles: { fileName: string; contents: string | Uint8Array }[], args: string[]): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const transfer: ArrayBuffer[] = [];
    for (const f of inputFiles) {
      if (f.contents instanceof Uint8Array && f.contents.buffer instanceof ArrayBuffer) {
        if (f.contents.byteOffset === 0 && f.contents.byteLength === f.contents.buffer.byteLength) {
          transfer.push(f.contents.buffer);
        }
      }
    }
    return new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(
        {
          [MESSAGE_KEY]: true,
          inputFiles,
          args,
          initialMemory: INITIAL_MEMORY_PAGES,
          maxMemory: MAX_MEMORY_PAGES,
        },
        transfer,
      );
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Internal names given to xmllint: safe for its argument parser, and easy to map back. */
const internalName = (i: number) => `doc${i}.xml`;
const INTERNAL = /^doc(\d+)\.xml(?::(\d+))?:?\s*(.*)$/;

function mapMessages(files: readonly XmlFile[], reply: Reply, xsdPath: string): FileValidation[] {
  if (reply.exitCode === -1) throw validatorFailure(reply.stderr.trim() || 'aborted', { xsd: xsdPath });
  const out: FileValidation[] = files.map((f) => ({ label: f.label, valid: true, errors: [] }));
  const unexplained: string[] = [];
  for (const raw of reply.stderr.split('\n')) {
    const line = raw.trim();
    const m = INTERNAL.exec(line);
    if (!m) {
      if (line !== '') unexplained.push(line);
      continue;
    }
    const f = out[Number(m[1])];
    if (!f) continue;
    const rest = m[3];
    if (rest === 'validates') continue;
    f.valid = false;
    if (rest === 'fails to validate' && m[2] === undefined) continue;
    f.errors.push(m[2] !== undefined ? `line ${m[2]}: ${rest}` : rest);
  }
  for (const f of out) if (!f.valid && f.errors.length === 0) f.errors.push('fails to validate');
  if (reply.exitCode !== 0 && out.every((f) => f.valid)) {
    throw validatorFailure(
      `xmllint exit ${reply.exitCode} against ${xsdPath}: ${unexplained.slice(0, 5).join(' | ') || 'no message'}`,
      { xsd: xsdPath },
    );
  }
  return out;
}

/**
 * A pool of persistent xmllint workers. `validate` never throws for invalid or malformed files (they come back
 * with valid=false and libxml's messages); it throws FRONTEIRA_E_EXPORT_INVALID only when the schema does not
 * load or xmllint fails in a way no file explains. Call close() when done (workers are unref'd meanwhile).
 */
export class XsdValidator {
  private readonly workers: LintWorker[] = [];
  private readonly idle: LintWorker[] = [];
  private readonly waiting: ((w: LintWorker) => void)[] = [];
  private closed = false;

  constructor(readonly size = 1) {
    if (!Number.isInteger(size) || size < 1 || size > 8) throw validatorFailure(`pool size ${size} (1..8)`);
  }

  private acquire(): Promise<LintWorker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.workers.length < this.size) {
      const fresh = new LintWorker();
      this.workers.push(fresh);
      return Promise.resolve(fresh);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: LintWorker): void {
    let worker = w;
    if (!w.usable) {
      // Replace a dead worker so the pool keeps its size.
      this.workers.splice(this.workers.indexOf(w), 1);
      void w.close().catch(() => {});
      worker = new LintWorker();
      this.workers.push(worker);
    }
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  async validate(xsdPath: string, files: readonly XmlFile[]): Promise<FileValidation[]> {
    if (this.closed) throw validatorFailure('the validator is closed');
    if (files.length === 0) return [];
    const xsd = schemaText(xsdPath);
    const inputFiles = [
      ...files.map((f, i) => ({ fileName: internalName(i), contents: f.xml })),
      { fileName: 'schema.xsd', contents: xsd },
    ];
    const args = ['--schema', 'schema.xsd', '--noout', ...files.map((_, i) => internalName(i))];
    const w = await this.acquire();
    try {
      return mapMessages(files, await w.run(inputFiles, args), xsdPath);
    } finally {
      this.release(w);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
    this.idle.length = 0;
  }
}

/** One-off validation (tests, single files): a validator for this call only. */
export async function validateXmlBatch(xsdPath: string, files: readonly XmlFile[]): Promise<FileValidation[]> {
  const v = new XsdValidator(1);
  try {
    return await v.validate(xsdPath, files);
  } finally {
    await v.close();
  }
}
