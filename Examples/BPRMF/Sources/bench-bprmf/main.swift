import BenchCommand
import BPRMF
import ModelRegistry

// The suite's whole command line, with BPR-MF registered beside its models:
// `swift run bench-bprmf train --dataset tiktok --model BPRMF`.
BenchCLI.main(registry: ModelRegistry(models: ModelRegistry.standard.models + [BPRMFModel.self]))
