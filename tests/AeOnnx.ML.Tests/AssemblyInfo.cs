// One process-wide model cache (AeOnnxModelCache) is shared by all tests, and one test clears it:
// run the test classes one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
