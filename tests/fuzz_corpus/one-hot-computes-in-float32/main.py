from torch import nn
import torch.nn.functional as F


class Net1(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.Softmax(dim=1)

    def forward(self, x):
        out = (x * 2.0)
        return out


def compute(logits, target):
    return F.cross_entropy(F.log_softmax(Net1()(F.one_hot(target, 3).permute(0, 3, 1, 2).float()), dim=1), target)
