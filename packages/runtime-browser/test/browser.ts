import { spawn } from 'node:child_process';
/**
 * Test helpers: Debian Chromium driven by playwright-core (headless), an example app copy
 * whose http allow-list and URL point at a local data server, and the packed site served by
 * `serveSite` (the `loop serve` core).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export const CHROMIUM = process.env.LOOP_CHROMIUM ?? '/usr/bin/chromium';
export const REPO = path.resolve(__dirname, '../../..');
export const EXAMPLE_APP = path.join(REPO, 'examples/apps/hello');

/** The example app's built components (`nx run-many -t build-component`). */
export const EXAMPLE_COMPONENTS = [
  'examples/components/greeter-rust/dist/greeter.wasm',
  'examples/components/formatter-basic-js/dist/formatter-basic.wasm',
  'examples/components/upper-js/dist/upper.wasm',
  'examples/components/reverse-ts/dist/reverse.wasm',
];
export const GREETING = fs.readFileSync(path.join(EXAMPLE_APP, 'data/greeting.txt'), 'utf8').trimEnd();
export const FETCHED = fs.readFileSync(path.join(EXAMPLE_APP, 'www/hello.txt'), 'utf8').trimEnd();
export const reverse = (s: string) => Array.from(s).reverse().join('');
/** What the example app logs, in order, in every host (browser, native, generated hosts). */
export const EXPECTED_LINES = [
  `[greeter] info: greeting: ${GREETING}`,
  `[greeter] info: fetched 200: ${FETCHED}`,
  `[formatter] debug: formatter-basic: formatting ${GREETING.length} chars`,
  `[greeter] info: formatted: [basic] ${GREETING}`,
  `[reverse] info: reverse: ${GREETING.length} code units`,
  `[greeter] info: plugin reverse: ${reverse(GREETING)}`,
  `[upper] info: upper: ${GREETING.length} chars`,
  `[greeter] info: plugin upper: ${GREETING.toUpperCase()}`,
];

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with ` +
        '`apt-get install -y chromium` (tools/setup/install.sh does), or set LOOP_CHROMIUM to a Chromium binary.',
    );
  }
}

export async function launch() {
  requireChromium();
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A server for the files the app fetches over loop:http (CORS open, like a public API). */
export async function dataServer(dir: string) {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(new URL(req.url ?? '/', 'http://x').pathname));
    res.setHeader('access-control-allow-origin', '*');
    if (!fs.existsSync(file)) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * A copy of the example app in a temp dir: the same manifest with absolute component sources,
 * its data/ and an empty plugins/, and the http origin replaced by `origin`.
 */
export function copyExampleApp(origin: string, extra = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-web-app-'));
  let toml = fs.readFileSync(path.join(EXAMPLE_APP, 'app.loop.toml'), 'utf8');
  toml = toml.replace(/^#:schema.*$/m, '');
  toml = toml.replace(/source = "(\.\.\/[^"]+)"/g, (_m, rel) => `source = ${JSON.stringify(path.resolve(EXAMPLE_APP, rel))}`);
  toml = toml.replaceAll('http://127.0.0.1:8787', origin);
  fs.writeFileSync(path.join(dir, 'app.loop.toml'), toml + extra);
  fs.cpSync(path.join(EXAMPLE_APP, 'data'), path.join(dir, 'data'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'plugins'));
  return dir;
}

/**
 * Runs the real `loop` CLI asynchronously (a data server in this process must keep answering
 * while it runs) and collects its output.
 */
export function runLoop(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO, 'node_modules/.bin/loop'), args, { cwd: opts.cwd ?? os.tmpdir(), env: { ...process.env, LOOP_QUIET: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
