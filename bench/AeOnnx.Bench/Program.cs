using AeOnnx.Bench;

// Each mode prints one JSON line {"mode":..., "images":..., "seconds":..., ...} on stdout;
// bench/run.py runs the modes side by side, repeats them and takes medians.
return BenchCommand.Run(args);
