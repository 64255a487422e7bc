import {
  QueryClient,
  QueryClientProvider,
  useMutation,
  useQuery,
  type UseMutationOptions,
  type UseQueryOptions,
} from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import type { AdminClient } from '../../../shared/api/client.js';
import type { AdminEvents, EventName, MethodInput, MethodName, MethodOutput } from '../../../shared/api/contract.js';
import type { AdminError } from '../../../shared/api/errors.js';

/**
 * Server state for the renderer: TanStack Query over AdminClient.
 *
 * Query keys start with a topic (by default the method's prefix: `discovery.latest` →
 * `['discovery', 'discovery.latest', input]`). A `store.changed {topics}` event from the services
 * invalidates every query whose key starts with one of those topics, or that lists one of them in
 * `topics` (for views that depend on more than one capability).
 */

const ClientContext = createContext<AdminClient | null>(null);

export function topicOf(method: MethodName): string {
  return method.split('.')[0] ?? method;
}

export function adminQueryKey<K extends MethodName>(method: K, input: MethodInput<K>): readonly unknown[] {
  return [topicOf(method), method, input];
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 },
      mutations: { retry: 0 },
    },
  });
}

/** Subscribes to `store.changed` and turns its topics into query invalidations. */
export function wireInvalidations(client: AdminClient, queryClient: QueryClient): () => void {
  return client.subscribe('store.changed', ({ topics }) => {
    const wanted = new Set(topics);
    void queryClient.invalidateQueries({
      predicate: (q) => {
        const head = q.queryKey[0];
        if (typeof head === 'string' && wanted.has(head)) return true;
        const extra = q.meta?.topics;
        return Array.isArray(extra) && extra.some((t) => typeof t === 'string' && wanted.has(t));
      },
    });
  });
}

export function AdminProvider({
  client,
  queryClient,
  children,
}: {
  client: AdminClient;
  queryClient: QueryClient;
  children: ReactNode;
}) {
  useEffect(() => wireInvalidations(client, queryClient), [client, queryClient]);
  return (
    <ClientContext.Provider value={client}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </ClientContext.Provider>
  );
}

export function useAdminClient(): AdminClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useAdminClient outside <AdminProvider>');
  return client;
}

export type AdminQueryOptions<K extends MethodName> = Omit<
  UseQueryOptions<MethodOutput<K>, AdminError>,
  'queryKey' | 'queryFn'
> & {
  /** Further topics whose `store.changed` should refetch this query. */
  topics?: string[];
};

/** `useQuery` for one contract method, typed by its name. */
export function useAdminQuery<K extends MethodName>(method: K, input: MethodInput<K>, options?: AdminQueryOptions<K>) {
  const client = useAdminClient();
  const { topics, meta, ...rest } = options ?? {};
  return useQuery<MethodOutput<K>, AdminError>({
    queryKey: adminQueryKey(method, input),
    queryFn: () => client.invoke(method, input),
    meta: { ...meta, topics: topics ?? [] },
    ...rest,
  });
}

/** `useMutation` for one contract method, typed by its name. */
export function useAdminMutation<K extends MethodName>(
  method: K,
  options?: Omit<UseMutationOptions<MethodOutput<K>, AdminError, MethodInput<K>>, 'mutationFn'>,
) {
  const client = useAdminClient();
  return useMutation<MethodOutput<K>, AdminError, MethodInput<K>>({
    mutationFn: (input) => client.invoke(method, input),
    ...options,
  });
}

/** Calls `listener` for each service event `event` while the component is mounted. */
export function useAdminEvent<E extends EventName>(event: E, listener: (payload: AdminEvents[E]) => void): void {
  const client = useAdminClient();
  const ref = useRef(listener);
  useEffect(() => {
    ref.current = listener;
  });
  useEffect(() => client.subscribe(event, (p) => ref.current(p)), [client, event]);
}
