import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Reads a secret's current text; what the collector's write keys are read from on AWS. */
export type SecretText = () => Promise<string>;

export function secretText(client: SecretsManagerClient, secretId: string): SecretText {
  return async function readSecretText() {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (SecretString === undefined) throw new Error(`secret ${secretId} holds no text`);
    return SecretString;
  };
}
