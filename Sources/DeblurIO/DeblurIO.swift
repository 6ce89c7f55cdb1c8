import DeblurCore
