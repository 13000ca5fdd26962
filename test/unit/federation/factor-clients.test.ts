// What a factor client is registered with per IdP, and what its administrator is told to paste.
import { describe, expect, it } from '@jest/globals';
import {
  checkTenantId,
  defaultFactorSettings,
  endpointsOf,
  entraRedirectUri,
  factorMetadata,
  oktaRedirectUri,
  setupInstructions,
} from '../../../src/federation/factor-clients.js';
import { parseFactorSettings, serializeFactorSettings, entraIssuer } from '../../../src/federation/settings.js';
import { parseUserField } from '../../../src/federation/user-fields.js';

describe('factor clients', () => {
  it("registers Okta's callback for the org, from a host or a pasted URL", () => {
    expect(oktaRedirectUri('acme.okta.com')).toBe('https://acme.okta.com/oauth2/v1/authorize/callback');
    expect(oktaRedirectUri('https://Login.Acme.com/')).toBe('https://login.acme.com/oauth2/v1/authorize/callback');
  });

  it.each(['acme', 'acme.okta.com/path', 'http://acme.okta.com', 'acme..okta.com', ''])(
    'refuses %j as an Okta domain with what it must be',
    (domain) => {
      expect(() => oktaRedirectUri(domain)).toThrow(/--okta-domain must be your Okta org's host name/);
    },
  );

  it("uses Entra's redirect URI of the cloud and refuses a tenant id that is not a GUID", () => {
    expect(entraRedirectUri('https://login.microsoftonline.com')).toBe(
      'https://login.microsoftonline.com/common/federation/externalauthprovider',
    );
    expect(checkTenantId('72F988BF-86F1-41AF-91AB-2D7CD011DB47')).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(() => checkTenantId('contoso.onmicrosoft.com')).toThrow(/--tenant-id must be the directory \(tenant\) id/);
  });

  it('gives Okta and generic IdPs a code flow with RS256 id_tokens, and Entra its implicit id_token flow', () => {
    const okta = factorMetadata({
      idp: 'okta',
      clientId: 'c1',
      name: 'Okta',
      redirectUris: ['https://acme.okta.com/oauth2/v1/authorize/callback'],
      authMethod: 'client_secret_post',
    });
    expect(okta).toMatchObject({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    });
    const entra = factorMetadata({
      idp: 'entra',
      clientId: 'c2',
      name: 'Entra',
      redirectUris: [entraRedirectUri('https://login.microsoftonline.com')],
      authMethod: 'client_secret_post',
    });
    expect(entra).toMatchObject({
      grant_types: ['implicit'],
      response_types: ['id_token'],
      token_endpoint_auth_method: 'none',
      subject_type: 'pairwise',
    });
  });

  it('needs the public keys for private_key_jwt', () => {
    const input = { idp: 'okta' as const, clientId: 'c', name: 'n', redirectUris: ['https://a.example/cb'] };
    expect(() => factorMetadata({ ...input, authMethod: 'private_key_jwt' })).toThrow(/--jwks-uri or --jwks-file/);
    expect(
      factorMetadata({ ...input, authMethod: 'private_key_jwt', jwks: { uri: 'https://a.example/jwks' } }),
    ).toMatchObject({
      jwks_uri: 'https://a.example/jwks',
    });
  });

  it('keeps its settings through storage, and refuses stored settings it cannot read', () => {
    const settings = {
      ...defaultFactorSettings('entra'),
      preferredUsername: parseUserField('attribute:employee_id', '--preferred-username'),
      entra: {
        tenantId: 't',
        appId: 'app',
        authority: 'https://login.microsoftonline.com',
        jwksUri: null,
        jwksFile: '/keys.json',
        matchClaim: 'oid' as const,
        matchField: parseUserField('attribute:entra_oid', '--match'),
      },
    };
    expect(parseFactorSettings(serializeFactorSettings(settings))).toEqual(settings);
    expect(() => parseFactorSettings('{"idp":"okta"}')).toThrow();
    expect(entraIssuer(settings.entra)).toBe('https://login.microsoftonline.com/t/v2.0');
  });

  it.each(['mail', 'attribute:', 'attribute:1x', 'attribute:a b'])('refuses %j as a user field', (field) => {
    expect(() => parseUserField(field, '--preferred-username')).toThrow(
      /--preferred-username must be email, username or attribute:NAME/,
    );
  });

  it('tells an Okta administrator every endpoint, the client, the secret and how users are matched', () => {
    const setup = setupInstructions({
      endpoints: endpointsOf('https://id.example.com'),
      clientId: 'cid',
      name: 'Okta',
      secret: 's3cret',
      authMethod: 'client_secret_post',
      redirectUris: ['https://acme.okta.com/oauth2/v1/authorize/callback'],
      settings: defaultFactorSettings('okta'),
    });
    const rows = Object.fromEntries(setup.rows);
    expect(rows).toMatchObject({
      'IdP usage': 'Factor only',
      'Client ID': 'cid',
      'Client secret': 's3cret',
      'Client authentication': 'client_secret_post',
      Scopes: 'openid profile email',
      Issuer: 'https://id.example.com',
      'Authorization endpoint': 'https://id.example.com/auth',
      'Token endpoint': 'https://id.example.com/token',
      'JWKS endpoint': 'https://id.example.com/jwks',
      'Userinfo endpoint': 'https://id.example.com/me',
      'IdP username': 'idpuser.preferred_username',
    });
    expect(setup.notes.join(' ')).toContain('device_context');
  });
});
