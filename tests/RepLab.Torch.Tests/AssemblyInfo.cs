using Xunit;

// Seeds, grad mode per thread and the live-handle counter are process-wide: tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
