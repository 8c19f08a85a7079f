// Each collection starts a whole application (Postgres, Redis, the Api with its rollups maintainer, the Prewarmer):
// several at once on two cores turn a clean start's first refreshes into slow-refresh warnings. One at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
