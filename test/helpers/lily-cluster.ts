/**
 * A Lily deployment across "machines" for scale-out tests: a 3-node JetStream cluster whose
 * nodes trust a project's NATS operator (the config an administrator writes with nsc: operator
 * JWT, MEMORY resolver, the project account preloaded), and credentials issued from that
 * project's account as `lily creds issue` would for a NATS it manages.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateEngineKeys } from '../../src/actors/trust/engine-keys.js';
import { issueCredential } from '../../src/deployment/nats-auth/creds.js';
import { loadOrCreateNatsTrust, type NatsTrust, trustJwts } from '../../src/deployment/nats-auth/keys.js';
import type { LilyRole } from '../../src/deployment/nats-auth/roles.js';
import { loadOrCreateProjectIdentity } from '../../src/project/identity.js';

export interface ProjectTrust {
  trust: NatsTrust;
  projectId: string;
  /** Config text for every node: trust the project's operator, preload its accounts. */
  serverConfig: string;
  /** Writes a `.creds` file (0600) for `role`; a worker's carries the project id and grant key. */
  writeCreds(role: LilyRole, file: string, executors?: readonly string[]): Promise<string>;
}

/** The project's trust chain (made on first use), as servers and credentials need it. */
export const projectTrust = async (projectDir: string, ns = 'default'): Promise<ProjectTrust> => {
  const keys = join(projectDir, '.lily', 'keys');
  const trust = await loadOrCreateNatsTrust(keys);
  const jwts = await trustJwts(trust, 'scale');
  const projectId = (await loadOrCreateProjectIdentity({ keys })).id;
  const { sealPublicKey } = await loadOrCreateEngineKeys(keys);
  const serverConfig = [
    `operator: ${JSON.stringify(jwts.operatorJwt)}`,
    `system_account: ${JSON.stringify(jwts.systemPublicKey)}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${jwts.accountPublicKey}: ${JSON.stringify(jwts.accountJwt)}`,
    `  ${jwts.systemPublicKey}: ${JSON.stringify(jwts.systemJwt)}`,
    '}',
  ].join('\n');
  return {
    trust,
    projectId,
    serverConfig,
    async writeCreds(role, file, executors) {
      const issued = await issueCredential(trust.account, {
        role,
        ns,
        projectId,
        ...(role === 'worker' ? { sealPublicKey, executors: executors ?? ['command', 'echo', 'list'] } : {}),
      });
      writeFileSync(file, issued.text, { mode: 0o600 });
      return issued.text;
    },
  };
};
