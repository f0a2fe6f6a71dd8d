const credentialsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'kind', 'name'],
    properties: {
      id: { type: 'string' },
      kind: { type: 'string' },
      name: { type: 'string' },
      old_secrets_end: { type: ['string', 'null'] },
    },
  },
};

/** The webhook event an integrator receives when the operator rotated credentials of its in bulk. */
export const CREDENTIAL_ROTATED_EVENT = Object.freeze({
  name: 'credential.rotated',
  description:
    'The operator gave credentials of yours new secrets (incident response); the old ones stop at old_secrets_end. Ask the operator for the new secrets.',
  schema: {
    type: 'object',
    required: ['action_id', 'credentials'],
    properties: {
      action_id: { type: 'string' },
      incident_id: { type: ['string', 'null'] },
      credentials: credentialsSchema,
    },
  },
});

/** The webhook event an integrator receives when the operator revoked credentials of its in bulk. */
export const CREDENTIAL_REVOKED_EVENT = Object.freeze({
  name: 'credential.revoked',
  description:
    'The operator revoked credentials of yours (incident response): they stop working at once. A webhook endpoint is not revoked; its signing secret is replaced.',
  schema: {
    type: 'object',
    required: ['action_id', 'credentials'],
    properties: {
      action_id: { type: 'string' },
      incident_id: { type: ['string', 'null'] },
      credentials: credentialsSchema,
    },
  },
});
