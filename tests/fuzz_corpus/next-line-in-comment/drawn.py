import torch
import torch.nn.functional as F
F.cross_entropy(torch.softmax(x, dim=1), y)
pass#0