import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? "/usr/sbin/nats-server";

export class NatsServerMissingError extends Error {
  override readonly name = "NatsServerMissingError";
  constructor(path: string) {
    super(
      `nats-server not found at ${path}: install Debian's package with 'apt-get install nats-server' ` +
        "(or set NATS_SERVER_BIN to the binary)",
    );
  }
}

export interface NatsServerOptions {
  /** Defaults to true. */
  jetstream?: boolean;
  /** Store directory; a fresh temporary one when omitted (removed on dispose). */
  storeDir?: string;
  /** Client port; 0 picks a free one. */
  port?: number;
  serverName?: string;
  /** Cluster settings for multi-server tests. */
  cluster?: { name: string; port: number; routes: string[] };
  /** Extra config file lines. */
  extraConfig?: string;
  /** Folder for the config, ports file and log; a fresh temporary one when omitted (removed on dispose). */
  workDir?: string;
  debug?: boolean;
  /**
   * Run the server in its own process group, so the Ctrl-C a terminal sends to its foreground group reaches only the
   * parent, which stops the server last (after the services that use it drained). Default false.
   */
  ownProcessGroup?: boolean;
}

/** Servers still running, killed when this process exits so a crashed test leaves no orphan behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackProcess(proc: ChildProcess): void {
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const p of live) p.kill("SIGKILL");
  });
}

/** The server writes its ports file non-atomically: an empty or half-written file means "not yet", not an error. */
function readPortsFile(file: string): { nats?: string[] } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { nats?: string[] };
  } catch {
    return undefined;
  }
}

/** A real nats-server process (Debian's package) owned by a test harness or by `persona run`. */
export class NatsServerHandle implements AsyncDisposable {
  private proc: ChildProcess | undefined;
  private stopping = false;
  port = 0;
  /** Called when the server exits without `stop`/`kill`/`dispose` (it crashed or was killed from outside). */
  onUnexpectedExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  private readonly ownsWorkDir: boolean;
  readonly workDir: string;
  readonly storeDir: string;

  private constructor(private readonly options: NatsServerOptions) {
    this.ownsWorkDir = options.workDir === undefined;
    this.workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "persona-nats-"));
    mkdirSync(this.workDir, { recursive: true });
    this.storeDir = options.storeDir ?? join(this.workDir, "store");
    this.port = options.port ?? 0;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
    if (!existsSync(NATS_SERVER_BIN)) throw new NatsServerMissingError(NATS_SERVER_BIN);
    const h = new NatsServerHandle(options);
    await h.launch();
    return h;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get logFile(): string {
    return join(this.workDir, "nats.log");
  }

  private writeConfig(): string {
    const o = this.options;
    const lines = [
      `listen: "127.0.0.1:${this.port === 0 ? -1 : this.port}"`,
      `server_name: "${o.serverName ?? `persona-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`}"`,
      `max_payload: 1048576`,
    ];
    if (o.jetstream !== false) lines.push(`jetstream: { store_dir: "${this.storeDir}", max_memory_store: 268435456 }`);
    if (o.cluster) {
      lines.push(
        `cluster: { name: "${o.cluster.name}", listen: "127.0.0.1:${o.cluster.port}", routes: [${o.cluster.routes.map((r) => `"${r}"`).join(", ")}] }`,
      );
    }
    if (o.extraConfig) lines.push(o.extraConfig);
    const file = join(this.workDir, "nats.conf");
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  private async launch(): Promise<void> {
    const conf = this.writeConfig();
    const portsDir = join(this.workDir, "ports");
    rmSync(portsDir, { recursive: true, force: true });
    mkdirSync(portsDir, { recursive: true });
    const args = ["-c", conf, "--ports_file_dir", portsDir, "-l", this.logFile];
    if (this.options.debug) args.push("-D");
    const proc = spawn(NATS_SERVER_BIN, args, {
      stdio: ["ignore", "ignore", "pipe"],
      detached: this.options.ownProcessGroup === true,
    });
    this.proc = proc;
    proc.once("exit", (code, signal) => {
      if (this.proc === proc && !this.stopping) this.onUnexpectedExit?.(code, signal);
    });
    trackProcess(proc);
    let stderr = "";
    proc.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    try {
      await this.awaitReady(proc, exited, portsDir, () => stderr);
    } catch (err) {
      // never leave a half-started server behind: it would keep the test process (or `persona run`) alive
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      this.proc = undefined;
      throw err;
    }
  }

  private async awaitReady(
    proc: ChildProcess,
    exited: Promise<number | null>,
    portsDir: string,
    stderr: () => string,
  ): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const exit = await Promise.race([exited, sleep(25).then(() => undefined)]);
      if (exit !== undefined) {
        const log = existsSync(this.logFile) ? readFileSync(this.logFile, "utf8").slice(-2000) : "";
        throw new Error(`nats-server (pid ${proc.pid}) exited with code ${exit} during start: ${stderr()}${log}`);
      }
      const files = existsSync(portsDir) ? readdirSync(portsDir) : [];
      const file = files[0];
      if (file) {
        const url = readPortsFile(join(portsDir, file))?.nats?.[0];
        if (url) {
          this.port = Number(new URL(url).port);
          if (this.options.jetstream === false || (await this.jetStreamReady())) return;
        }
      }
      if (Date.now() > deadline) throw new Error(`nats-server did not start within 15 s (log: ${this.logFile})`);
    }
  }

  /** JetStream is ready once the server's log says so (it can take a moment after the ports file appears). */
  private async jetStreamReady(): Promise<boolean> {
    if (!existsSync(this.logFile)) return false;
    const log = readFileSync(this.logFile, "utf8");
    return /Server is ready/.test(log);
  }

  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    this.stopping = true;
    try {
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill(signal);
      const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
      if (timedOut) {
        proc.kill("SIGKILL");
        await exited;
      }
      this.proc = undefined;
    } finally {
      this.stopping = false;
    }
  }

  /** True while the server process runs. */
  get running(): boolean {
    const proc = this.proc;
    return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  }

  /** Starts the server again after it died (same port, same store); a running server is left alone. */
  async relaunch(): Promise<void> {
    if (this.running) return;
    if (existsSync(this.logFile)) rmSync(this.logFile);
    await this.launch();
  }

  /** Kills the server abruptly (as a crash would). */
  async kill(): Promise<void> {
    await this.stop("SIGKILL");
  }

  /** Starts the server again on the same port with the same store. */
  async restart(): Promise<void> {
    await this.stop();
    // the old log stays, but "Server is ready" must come from the new run: rotate it
    if (existsSync(this.logFile)) rmSync(this.logFile);
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsWorkDir) rmSync(this.workDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

export function startNatsServer(options?: NatsServerOptions): Promise<NatsServerHandle> {
  return NatsServerHandle.start(options);
}
