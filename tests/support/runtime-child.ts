import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { promisify } from 'node:util';

/** The local runtime in a process of its own (tests/support/runtime-process.ts), for kill -9. */
export interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly lines: Interface;
  ask(command: string): Promise<Record<string, unknown>>;
}

export async function startChild(dataDir: string, config?: 'redefined'): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/support/runtime-process.ts', dataDir, ...(config ? [config] : [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`the runtime exited (${code}) before answering`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  const { url } = (await next()) as { url: string };
  return {
    process: child,
    url,
    lines,
    ask(command) {
      const answer = next();
      child.stdin!.write(`${command}\n`);
      return answer;
    },
  };
}

/** Processes whose command line names the data directory: DynamoDB Local's, while it runs. */
async function processesOf(dataDir: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((line) => line.includes(dataDir) && line.includes('DynamoDBLocal'));
}

export async function kill9(child: Child, dataDir: string): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGKILL');
  await exited;
  // DynamoDB Local goes with the runtime, even killed: nothing holds its port or files.
  for (let waited = 0; (await processesOf(dataDir)).length > 0; waited += 100) {
    if (waited > 10_000) throw new Error('DynamoDB Local outlived the killed runtime');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
