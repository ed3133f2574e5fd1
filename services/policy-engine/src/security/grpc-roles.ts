import type { Role } from './auth.js';

/**
 * The least role each PolicyService RPC needs, as its HTTP twin. The gRPC auth interceptor refuses a method
 * that is not listed (PERMISSION_DENIED), so a new RPC must be added here to be callable.
 */
export const POLICY_RPC_ROLES: Readonly<Record<string, Role>> = {
  ListHosts: 'viewer',
  ListVms: 'viewer',
  GetJob: 'viewer',
  ListJobs: 'viewer',
  ListRecommendations: 'viewer',
  WatchEvents: 'viewer',
  SubmitJob: 'operator',
  CancelJob: 'operator',
  ApproveRecommendation: 'operator',
  RejectRecommendation: 'operator',
  GetPolicy: 'viewer',
  ListPolicyVersions: 'viewer',
  ApplyPolicy: 'admin',
  GetPause: 'viewer',
  SetPause: 'admin',
};
