import DeblurCore
import DeblurIO
import Deconvolution
