// Reading kubeconfig files and merging several as kubectl does: KUBECONFIG is a list of files;
// for clusters, users and contexts the first file that names an entry wins, and so does the first
// file that sets current-context. Paths inside a file are relative to that file.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { KubeconfigError } from './kubeconfig-error';

export interface ClusterEntry {
  server?: string;
  certificateAuthority?: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
  /** Credential plugins and auth providers this client does not run. */
  unsupported?: 'exec' | 'auth-provider';
}

export interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** An entry and the file it came from (relative paths in it are resolved already). */
export interface Sourced<T> {
  name: string;
  file: string;
  value: T;
}

export interface Kubeconfig {
  /** The files read, in merge order. */
  files: string[];
  clusters: Map<string, Sourced<ClusterEntry>>;
  users: Map<string, Sourced<UserEntry>>;
  contexts: Map<string, Sourced<ContextEntry>>;
  currentContext?: string;
  /** The file that set current-context. */
  currentContextFile?: string;
}

export interface LoadOptions {
  /** An explicit file (like kubectl --kubeconfig): it must exist. */
  path?: string;
  /** Where KUBECONFIG and HOME are read (process.env by default). */
  env?: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

/**
 * The merged kubeconfig: `path` if given, else every file in KUBECONFIG (missing ones skipped, as
 * kubectl does; all missing is an error), else ~/.kube/config.
 */
export function loadKubeconfig(options: LoadOptions = {}): Kubeconfig {
  const env = options.env ?? process.env;
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  if (options.path) return mergeFiles([readConfigFile(resolve(options.path), read)]);
  const list = (env.KUBECONFIG ?? '')
    .split(delimiter)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (list.length > 0) {
    const read1 = list.map((p) => tryReadConfigFile(resolve(p), read));
    const found = read1.filter((f): f is ParsedFile => f !== undefined);
    if (found.length === 0)
      throw new KubeconfigError(`none of the files in KUBECONFIG exists: ${list.join(', ')}`);
    return mergeFiles(found);
  }
  const home = env.HOME ?? homedir();
  return mergeFiles([readConfigFile(join(home, '.kube', 'config'), read)]);
}

/** Parses one kubeconfig text (for tests and callers that hold the text). */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  return mergeFiles([parseFile(text, file)]);
}

interface ParsedFile {
  file: string;
  clusters: Sourced<ClusterEntry>[];
  users: Sourced<UserEntry>[];
  contexts: Sourced<ContextEntry>[];
  currentContext?: string;
}

function readConfigFile(file: string, read: (p: string) => string): ParsedFile {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
    throw new KubeconfigError(`cannot read it: ${why}`, file);
  }
  return parseFile(text, file);
}

function tryReadConfigFile(file: string, read: (p: string) => string): ParsedFile | undefined {
  try {
    return readConfigFile(file, read);
  } catch (err) {
    if (err instanceof KubeconfigError && err.message.endsWith('no such file')) return undefined;
    throw err;
  }
}

function mergeFiles(files: ParsedFile[]): Kubeconfig {
  const config: Kubeconfig = {
    files: files.map((f) => f.file),
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const f of files) {
    for (const c of f.clusters) if (!config.clusters.has(c.name)) config.clusters.set(c.name, c);
    for (const u of f.users) if (!config.users.has(u.name)) config.users.set(u.name, u);
    for (const c of f.contexts) if (!config.contexts.has(c.name)) config.contexts.set(c.name, c);
    if (!config.currentContext && f.currentContext) {
      config.currentContext = f.currentContext;
      config.currentContextFile = f.file;
    }
  }
  return config;
}

type Obj = Record<string, unknown>;

function parseFile(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new KubeconfigError(
      `malformed YAML at line ${pos.line} column ${pos.col}: ${e.message.split('\n')[0]}`,
      file,
    );
  }
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return { file, clusters: [], users: [], contexts: [] };
  if (!isObj(root)) throw new KubeconfigError('is not a kubeconfig (not a YAML mapping)', file);
  const dir = dirname(file);
  const path = (p: unknown, where: string): string | undefined => {
    const s = str(p, where, file);
    return s === undefined || s === '' ? undefined : isAbsolute(s) ? s : resolve(dir, s);
  };
  const clusters = entries(root, 'clusters', 'cluster', file).map(({ name, body, where }) => ({
    name,
    file,
    value: {
      server: str(body.server, `${where}.server`, file),
      certificateAuthority: path(body['certificate-authority'], `${where}.certificate-authority`),
      certificateAuthorityData: str(
        body['certificate-authority-data'],
        `${where}.certificate-authority-data`,
        file,
      ),
      insecureSkipTlsVerify: bool(
        body['insecure-skip-tls-verify'],
        `${where}.insecure-skip-tls-verify`,
        file,
      ),
      tlsServerName: str(body['tls-server-name'], `${where}.tls-server-name`, file),
    },
  }));
  const users = entries(root, 'users', 'user', file).map(({ name, body, where }) => ({
    name,
    file,
    value: {
      token: str(body.token, `${where}.token`, file),
      tokenFile: path(body.tokenFile, `${where}.tokenFile`),
      clientCertificate: path(body['client-certificate'], `${where}.client-certificate`),
      clientCertificateData: str(
        body['client-certificate-data'],
        `${where}.client-certificate-data`,
        file,
      ),
      clientKey: path(body['client-key'], `${where}.client-key`),
      clientKeyData: str(body['client-key-data'], `${where}.client-key-data`, file),
      username: str(body.username, `${where}.username`, file),
      password: str(body.password, `${where}.password`, file),
      unsupported: body.exec
        ? ('exec' as const)
        : body['auth-provider']
          ? ('auth-provider' as const)
          : undefined,
    },
  }));
  const contexts = entries(root, 'contexts', 'context', file).map(({ name, body, where }) => ({
    name,
    file,
    value: {
      cluster: str(body.cluster, `${where}.cluster`, file),
      user: str(body.user, `${where}.user`, file),
      namespace: str(body.namespace, `${where}.namespace`, file),
    },
  }));
  const current = str(root['current-context'], 'current-context', file);
  return { file, clusters, users, contexts, currentContext: current || undefined };
}

/** The `- name: x\n  <field>: {...}` list under `key`, checked for shape. */
function entries(
  root: Obj,
  key: string,
  field: string,
  file: string,
): { name: string; body: Obj; where: string }[] {
  const list = root[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeconfigError(`${key} is not a list`, file);
  return list.map((item, i) => {
    if (!isObj(item)) throw new KubeconfigError(`${key}[${i}] is not a mapping`, file);
    const name = item.name;
    if (typeof name !== 'string' || name === '')
      throw new KubeconfigError(`${key}[${i}] has no name`, file);
    const body = item[field] ?? {};
    if (!isObj(body))
      throw new KubeconfigError(`${key}[${i}] (${name}): ${field} is not a mapping`, file);
    return { name, body, where: `${key}[${name}].${field}` };
  });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, where: string, file: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new KubeconfigError(`${where} is not a string`, file);
}

function bool(v: unknown, where: string, file: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new KubeconfigError(`${where} is not true or false`, file);
}
