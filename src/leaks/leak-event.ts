/** The webhook event an integrator receives when one of its credentials was reported leaked. */
export const CREDENTIAL_LEAKED_EVENT = Object.freeze({
  name: 'credential.leaked',
  description:
    'A credential of yours was found in a public place (a code scan or a code host report); revoked unless the operator only flags leaks',
  schema: {
    type: 'object',
    required: ['credential_id', 'kind', 'hint', 'revoked', 'reported_by'],
    properties: {
      credential_id: { type: 'string' },
      kind: { type: 'string' },
      hint: { type: 'string' },
      revoked: { type: 'boolean' },
      reported_by: { type: 'string' },
      url: { type: ['string', 'null'] },
    },
  },
});
