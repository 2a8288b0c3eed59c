// libtorch's global state (default RNG for weight initialisation, thread count) is shared by the
// whole process, so training tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
