export * from './errors.ts'
export { MemberIdentity, writeKeyFile } from './identity.ts'
export { DEFAULT_KDF, type KdfParams, MIN_PASSPHRASE_LENGTH } from './key-file.ts'
export { memberKeyOfPeerId, peerIdOf } from './peer-id.ts'
