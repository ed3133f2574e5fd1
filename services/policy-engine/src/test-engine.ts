/** The engine's state and job service on a real redis-server, for the API integration tests. */
import { Redis } from 'ioredis';
import { ClusterState } from '@ballast/cycle';
import { JobQueues } from '@ballast/queue';
import { startRedis, type RedisHandle } from '@ballast/testkit';
import { JobService } from './job-service.js';
import { HoldStore } from './state/hold-store.js';

export interface TestEngine {
  redisSrv: RedisHandle;
  redis: Redis;
  state: ClusterState;
  queues: JobQueues;
  jobs: JobService;
  stop(): Promise<void>;
}

export async function startTestEngine(holdMs: number): Promise<TestEngine> {
  const redisSrv = await startRedis();
  const redis = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
  const holds = new HoldStore(redis);
  const state = new ClusterState({ windowSize: 10, staleAfterIntervals: 3, now: () => Date.now() }, holds);
  const queues = new JobQueues(redis);
  const jobs = new JobService(state, queues, holds, { holdMs, now: () => Date.now() });
  return {
    redisSrv,
    redis,
    state,
    queues,
    jobs,
    async stop() {
      await queues.close();
      await redis.quit();
      await redisSrv.stop();
    },
  };
}
