import { describe, expect, it } from 'vitest';
import { checkEnvNames, envGlobMatch, PROTECTED_ENV, protectedEnv } from '../../../src/policy/env-rules.js';

const open = { allow: ['*'], deny: [] };

describe('env rules', () => {
  it('protects every variable that changes which program runs or what it loads', () => {
    for (const name of [
      'PATH',
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'LD_AUDIT',
      'DYLD_INSERT_LIBRARIES',
      'NODE_OPTIONS',
      'NODE_PATH',
      'PYTHONPATH',
      'PYTHONSTARTUP',
      'PERL5LIB',
      'PERL5OPT',
      'RUBYOPT',
      'RUBYLIB',
      'BASH_ENV',
      'ENV',
      'IFS',
      'GCONV_PATH',
      'LOCPATH',
      'BASH_FUNC_echo%%',
      'GIT_SSH_COMMAND',
      'GIT_CONFIG_COUNT',
      'npm_config_script_shell',
      'JAVA_TOOL_OPTIONS',
      'GLIBC_TUNABLES',
      'HOME',
    ]) {
      expect(protectedEnv(name), name).toBeDefined();
      expect(checkEnvNames(open, [name]).ok, name).toBe(false);
    }
    for (const name of ['FOO', 'CI', 'LANG', 'PATHS', 'MY_PATH', 'LDFLAGS', 'NODE_ENV', 'ENVIRONMENT']) {
      expect(protectedEnv(name), name).toBeUndefined();
      expect(checkEnvNames(open, [name]), name).toEqual({ ok: true });
    }
    expect(PROTECTED_ENV.flatMap((g) => g.patterns)).toContain('LD_*');
  });

  it('names the variable, what it changes and the fix', () => {
    expect(checkEnvNames(open, ['FOO', 'LD_PRELOAD', 'PATH'])).toEqual({
      ok: false,
      name: 'LD_PRELOAD',
      reason:
        "step sets LD_PRELOAD, which changes what the dynamic loader and libc load; remove it from the step's env, or name LD_PRELOAD in policy.yaml env.allow to allow it on purpose",
    });
    expect(checkEnvNames(open, ['NODE_OPTIONS'], 'gate lint')).toMatchObject({
      reason: expect.stringMatching(
        /^gate lint sets NODE_OPTIONS, which changes what node loads; remove it from the gate lint's env/,
      ),
    });
  });

  it('lets a protected name through only when allow names it exactly', () => {
    expect(checkEnvNames({ allow: ['*', 'NODE_OPTIONS'], deny: [] }, ['NODE_OPTIONS']).ok).toBe(true);
    expect(checkEnvNames({ allow: ['NODE_*'], deny: [] }, ['NODE_OPTIONS']).ok).toBe(false);
    expect(checkEnvNames({ allow: ['LD_*'], deny: [] }, ['LD_PRELOAD']).ok).toBe(false);
  });

  it('applies deny before allow, and allow as an allowlist', () => {
    const rules = { allow: ['CI', 'APP_*'], deny: ['APP_SECRET*'] };
    expect(checkEnvNames(rules, ['CI', 'APP_MODE'])).toEqual({ ok: true });
    expect(checkEnvNames(rules, ['APP_SECRET_KEY'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/env.deny/),
    });
    expect(checkEnvNames(rules, ['OTHER'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no env.allow pattern/),
    });
    expect(checkEnvNames({ allow: ['PATH'], deny: ['PATH'] }, ['PATH']).ok).toBe(false);
  });

  it('refuses names a process cannot have', () => {
    for (const name of ['', 'A=B', 'A\0B'])
      expect(checkEnvNames(open, [name]).ok, JSON.stringify(name)).toBe(false);
  });

  it('matches globs literally apart from * and ?', () => {
    expect(envGlobMatch('LD_*', 'LD_')).toBe(true);
    expect(envGlobMatch('A?C', 'ABC')).toBe(true);
    expect(envGlobMatch('A.C', 'ABC')).toBe(false);
    expect(envGlobMatch('(x)+', '(x)+')).toBe(true);
    expect(envGlobMatch('path', 'PATH')).toBe(false);
  });
});
