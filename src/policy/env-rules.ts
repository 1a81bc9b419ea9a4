/** `policy.yaml` `env`: which environment variables a step (or gate) may set. */
export interface EnvRules {
  /** Names or globs (`*`, `?`) a step may set; default `["*"]`. */
  allow: readonly string[];
  /** Names or globs a step may never set; deny wins over allow. */
  deny: readonly string[];
}

/**
 * Variables that change which program runs or what it loads, by what they change. A step may
 * set one only when `env.allow` names it exactly (a glob, even `*`, does not count). The list
 * cannot be complete (any configuration file that names a program is one more way): a policy
 * for untrusted job authors lists the names it allows instead of relying on it.
 */
export const PROTECTED_ENV: readonly { patterns: readonly string[]; changes: string }[] = [
  { patterns: ['PATH'], changes: 'where programs are looked up' },
  {
    patterns: ['LD_*', 'DYLD_*', 'GLIBC_TUNABLES', 'GCONV_PATH', 'LOCPATH', 'NLSPATH'],
    changes: 'what the dynamic loader and libc load',
  },
  {
    patterns: ['NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE'],
    changes: 'what node loads',
  },
  {
    patterns: [
      'PYTHONPATH',
      'PYTHONHOME',
      'PYTHONSTARTUP',
      'PYTHONUSERBASE',
      'PYTHONEXECUTABLE',
      'PYTHONWARNINGS',
      'PYTHONBREAKPOINT',
      'PYTHONINSPECT',
      'PYTHONPLATLIBDIR',
    ],
    changes: 'what python loads',
  },
  { patterns: ['PERL5LIB', 'PERLLIB', 'PERL5OPT', 'PERL5DB'], changes: 'what perl loads' },
  { patterns: ['RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH', 'BUNDLE_GEMFILE'], changes: 'what ruby loads' },
  {
    patterns: ['JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH'],
    changes: 'what the JVM loads',
  },
  { patterns: ['DOTNET_STARTUP_HOOKS', 'CORECLR_*'], changes: 'what .NET loads' },
  { patterns: ['LUA_PATH*', 'LUA_CPATH*', 'LUA_INIT*', 'TCLLIBPATH'], changes: 'what lua or tcl load' },
  {
    patterns: [
      'BASH_ENV',
      'ENV',
      'BASH_FUNC_*',
      'SHELLOPTS',
      'BASHOPTS',
      'PS4',
      'PROMPT_COMMAND',
      'IFS',
      'CDPATH',
      'ZDOTDIR',
      'SHELL',
    ],
    changes: 'what a shell runs',
  },
  {
    patterns: ['GOFLAGS', 'GOTOOLCHAIN', 'GOROOT', 'CC', 'CXX', 'CPP', 'LD', 'AR', 'MAKEFLAGS', 'MAKEFILES'],
    changes: 'which compiler or toolchain a build runs',
  },
  {
    patterns: [
      'GIT_CONFIG*',
      'GIT_DIR',
      'GIT_COMMON_DIR',
      'GIT_EXEC_PATH',
      'GIT_SSH',
      'GIT_SSH_COMMAND',
      'GIT_ASKPASS',
      'GIT_EDITOR',
      'GIT_PAGER',
      'GIT_EXTERNAL_DIFF',
      'GIT_PROXY_COMMAND',
      'GIT_TEMPLATE_DIR',
    ],
    changes: 'which programs git runs',
  },
  {
    patterns: ['npm_config_*', 'NPM_CONFIG_*', 'npm_execpath', 'npm_node_execpath'],
    changes: 'what npm runs',
  },
  {
    patterns: [
      'EDITOR',
      'VISUAL',
      'PAGER',
      'BROWSER',
      'SSH_ASKPASS',
      'SUDO_ASKPASS',
      'LESSOPEN',
      'LESSCLOSE',
    ],
    changes: 'which helper program a tool starts',
  },
  {
    patterns: ['OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES'],
    changes: 'which OpenSSL modules load',
  },
  {
    patterns: [
      'HOME',
      'XDG_CONFIG_HOME',
      'XDG_CONFIG_DIRS',
      'KUBECONFIG',
      'DOCKER_CONFIG',
      'AWS_CONFIG_FILE',
    ],
    changes: 'which configuration files (and the programs they name) load',
  },
];

const globCache = new Map<string, RegExp>();

/** `*` (any run of characters) and `?` (one character); everything else literal; case-sensitive. */
export const envGlobMatch = (glob: string, name: string): boolean => {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re.test(name);
};

/** What a protected name changes, or undefined when it is not protected. */
export const protectedEnv = (name: string): string | undefined =>
  PROTECTED_ENV.find((group) => group.patterns.some((p) => envGlobMatch(p, name)))?.changes;

export type EnvVerdict = { ok: true } | { ok: false; name: string; reason: string };

/**
 * Checks the names of the variables a step sets, in order; the first refused one decides.
 * Refused: an invalid name (empty, `=` or NUL), a name matching `deny`, a protected name that
 * `allow` does not list exactly, a name matching no `allow` glob.
 */
export const checkEnvNames = (rules: EnvRules, names: readonly string[], who = 'step'): EnvVerdict => {
  for (const name of names) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      return { ok: false, name, reason: `${who} sets ${JSON.stringify(name)}: not a valid variable name` };
    }
    if (rules.deny.some((g) => envGlobMatch(g, name))) {
      return {
        ok: false,
        name,
        reason: `${who} sets ${name}, which env.deny refuses; remove it from the ${who}'s env`,
      };
    }
    const changes = protectedEnv(name);
    if (changes !== undefined && !rules.allow.includes(name)) {
      return {
        ok: false,
        name,
        reason:
          `${who} sets ${name}, which changes ${changes}; remove it from the ${who}'s env, ` +
          `or name ${name} in policy.yaml env.allow to allow it on purpose`,
      };
    }
    if (!rules.allow.some((g) => envGlobMatch(g, name))) {
      return {
        ok: false,
        name,
        reason: `${who} sets ${name}, which no env.allow pattern matches; add it to policy.yaml env.allow`,
      };
    }
  }
  return { ok: true };
};
