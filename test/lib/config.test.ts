import { loadConfig } from '../../lib/config';
import { defaultIngestOptions } from '../../subgraphs/device/ingest';
import { deriveKey, keyedHash, openSecret, sealSecret } from '../../lib/master-key';

const key = Buffer.alloc(32, 7).toString('base64url');

describe('configuration', () => {
  it('names the variable when a value is invalid', () => {
    expect(() => loadConfig({ CYPERNEX_MASTER_KEY: key, GATEWAY_PORT: 'eighty' })).toThrow(/GATEWAY_PORT/);
    expect(() => loadConfig({ CYPERNEX_MASTER_KEY: key, DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ CYPERNEX_MASTER_KEY: 'short' })).toThrow(/CYPERNEX_MASTER_KEY/);
  });

  it('requires a master key, https and TLS (or a declared proxy) in production', () => {
    expect(() => loadConfig({ CYPERNEX_ENV: 'production', AUTH_ISSUER: 'https://id.example.com' })).toThrow(/CYPERNEX_MASTER_KEY is required/);
    expect(() => loadConfig({ CYPERNEX_ENV: 'production', CYPERNEX_MASTER_KEY: Buffer.alloc(32).toString('base64url'), AUTH_ISSUER: 'https://id.example.com', TRUST_PROXY: '1' })).toThrow(/default/);
    expect(() => loadConfig({ CYPERNEX_ENV: 'production', CYPERNEX_MASTER_KEY: key })).toThrow(/AUTH_ISSUER must be an https URL/);
    expect(() => loadConfig({ CYPERNEX_ENV: 'production', CYPERNEX_MASTER_KEY: key, AUTH_ISSUER: 'https://id.example.com' })).toThrow(/TLS_CERT_FILE/);
    expect(loadConfig({ CYPERNEX_ENV: 'production', CYPERNEX_MASTER_KEY: key, AUTH_ISSUER: 'https://id.example.com', TRUST_PROXY: '1' }).production).toBe(true);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig({ CYPERNEX_MASTER_KEY: key });
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/cypernex');
    expect(config.GATEWAY_PORT).toBe(4000);
    expect(config.AUTH_PORT).toBe(4010);
  });

  it("gives the ingestion workers the contract's group and a week-long session, unless told otherwise", () => {
    const development = defaultIngestOptions(loadConfig({ CYPERNEX_MASTER_KEY: key, CYPERNEX_ENV: 'development' }));
    expect(development).toMatchObject({ group: 'ingest', sessionExpirySeconds: 7 * 86_400 });
    const throwaway = defaultIngestOptions(loadConfig({ CYPERNEX_MASTER_KEY: key, CYPERNEX_ENV: 'development', INGEST_GROUP: 'bench-1a2b', INGEST_SESSION_EXPIRY_SECONDS: '60' }));
    expect(throwaway).toMatchObject({ group: 'bench-1a2b', sessionExpirySeconds: 60 });
    expect(() => loadConfig({ CYPERNEX_MASTER_KEY: key, INGEST_GROUP: 'a/b' })).toThrow(/INGEST_GROUP/);
    expect(() => loadConfig({ CYPERNEX_MASTER_KEY: key, INGEST_GROUP: '#' })).toThrow(/INGEST_GROUP/);
  });
});

describe('master key derivations', () => {
  const master = Buffer.alloc(32, 9);

  it('derives a different key per purpose', () => {
    expect(deriveKey(master, 'a').equals(deriveKey(master, 'b'))).toBe(false);
    expect(keyedHash(master, 'client-secret', 's')).not.toBe(keyedHash(master, 'api-key', 's'));
  });

  it('seals and opens secrets, refusing another purpose or a changed byte', () => {
    const sealed = sealSecret(master, 'device-data-key', Buffer.from('secret'));
    expect(sealed).not.toContain('secret');
    expect(openSecret(master, 'device-data-key', sealed).toString()).toBe('secret');
    expect(() => openSecret(master, 'device-maintenance-key', sealed)).toThrow();
    const parts = sealed.split('.');
    parts[2] = Buffer.from('secreT').toString('base64url');
    expect(() => openSecret(master, 'device-data-key', parts.join('.'))).toThrow();
  });
});
