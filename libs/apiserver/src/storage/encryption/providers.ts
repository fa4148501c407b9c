// The value transformers of an EncryptionConfiguration, in Kubernetes' stored format so a data
// directory reads like etcd's under kube-apiserver: `k8s:enc:<provider>:v1:<key name>:<bytes>`.
// aesgcm: a random 12-byte nonce, then AES-GCM ciphertext and its 16-byte tag, the store key as
// additional data (a value copied under another key does not decrypt). aescbc: a random 16-byte
// IV, then AES-CBC with PKCS#7 padding. identity: the value as it is.
import { CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface ValueTransformer {
  /** What the stored value starts with when this transformer wrote it ('' for identity). */
  readonly prefix: string;
  encrypt(plain: Buffer, key: Buffer): Buffer;
  /** The plaintext of a value that starts with `prefix` (prefix removed); throws when forged. */
  decrypt(sealed: Buffer, key: Buffer): Buffer;
}

const GCM_NONCE = 12;
const GCM_TAG = 16;
const CBC_IV = 16;

const gcmName = (secret: Buffer) => `aes-${secret.length * 8}-gcm` as CipherGCMTypes;
const cbcName = (secret: Buffer) => `aes-${secret.length * 8}-cbc`;

export function aesGcm(keyName: string, secret: Buffer): ValueTransformer {
  return {
    prefix: `k8s:enc:aesgcm:v1:${keyName}:`,
    encrypt(plain, key) {
      const nonce = randomBytes(GCM_NONCE);
      const cipher = createCipheriv(gcmName(secret), secret, nonce);
      cipher.setAAD(key);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([nonce, body, cipher.getAuthTag()]);
    },
    decrypt(sealed, key) {
      if (sealed.length < GCM_NONCE + GCM_TAG) throw new Error('the stored value is too short');
      const nonce = sealed.subarray(0, GCM_NONCE);
      const tag = sealed.subarray(sealed.length - GCM_TAG);
      const decipher = createDecipheriv(gcmName(secret), secret, nonce);
      decipher.setAAD(key);
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(sealed.subarray(GCM_NONCE, sealed.length - GCM_TAG)),
        decipher.final(),
      ]);
    },
  };
}

export function aesCbc(keyName: string, secret: Buffer): ValueTransformer {
  return {
    prefix: `k8s:enc:aescbc:v1:${keyName}:`,
    encrypt(plain) {
      const iv = randomBytes(CBC_IV);
      const cipher = createCipheriv(cbcName(secret), secret, iv);
      return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
    },
    decrypt(sealed) {
      if (sealed.length < CBC_IV * 2 || sealed.length % CBC_IV !== 0) {
        throw new Error('the stored value is not a whole number of AES blocks');
      }
      const decipher = createDecipheriv(cbcName(secret), secret, sealed.subarray(0, CBC_IV));
      return Buffer.concat([decipher.update(sealed.subarray(CBC_IV)), decipher.final()]);
    },
  };
}

export const IDENTITY: ValueTransformer = {
  prefix: '',
  encrypt: (plain) => plain,
  decrypt: (sealed) => sealed,
};
