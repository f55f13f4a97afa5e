/**
 * Reads the project's Dockerfile into stages and instructions, so tests can check it and the
 * production-install test can lay out exactly the files its runtime stage copies (there is no
 * container engine here to build it).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './helm.ts';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  op: string;
  /** The rest of the line, continuations joined. */
  args: string;
}

export interface Stage {
  /** The image reference as written (may contain ${ARG}). */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
  /** The last WORKDIR of the stage. */
  workdir: string;
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export async function readDockerfile(path = join(ROOT, 'Dockerfile')): Promise<Dockerfile> {
  const text = await readFile(path, 'utf8');
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.trim().startsWith('#')) continue; // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push((current + line).trim());
    current = '';
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const ins: Instruction = { op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`cannot read FROM ${ins.args}`);
      stages.push({ from: m[1]!, name: m[2], instructions: [], workdir: '/' });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (ins.op === 'ARG') {
        const [k, v = ''] = ins.args.split('=');
        globalArgs[k!] = v;
      }
      continue;
    }
    stage.instructions.push(ins);
    if (ins.op === 'WORKDIR') stage.workdir = ins.args;
  }
  return { globalArgs, stages };
}

export interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  dest: string;
}

/** COPY instructions of a stage, flags other than --from ignored. */
export function copies(stage: Stage): CopyInstruction[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

/** ENTRYPOINT + CMD of a stage in exec (JSON) form. */
export function command(stage: Stage): string[] {
  const json = (op: string): string[] => {
    const ins = stage.instructions.filter((i) => i.op === op).at(-1);
    if (!ins) return [];
    const parsed = JSON.parse(ins.args) as unknown;
    if (!Array.isArray(parsed)) throw new Error(`${op} must be in exec form`);
    return parsed as string[];
  };
  return [...json('ENTRYPOINT'), ...json('CMD')];
}

export function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
}
