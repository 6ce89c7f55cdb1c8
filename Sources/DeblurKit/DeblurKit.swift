// The umbrella module: `import DeblurKit` brings in the whole toolkit for scripting.
@_exported import DeblurCore
@_exported import DeblurIO
@_exported import Deconvolution
@_exported import Refinement
@_exported import Evaluation
@_exported import Datasets
@_exported import KernelBank
