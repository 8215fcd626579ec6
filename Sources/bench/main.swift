import BenchCommand

// The suite's `bench`, with the standard registry (Sources/ModelRegistry).
BenchCLI.main()
