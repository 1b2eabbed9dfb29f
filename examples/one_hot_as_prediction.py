"""The sanity check that fails: feeding the target itself as the prediction.

People try this to check their loss ("a perfect prediction must give zero loss") and get
log(1 + (C-1)/e) per pixel instead: 2.12 for 21 classes. cross_entropy reads the one-hot tensor as
logits, not as a prediction. seglint reports SEG002 here.
"""

import torch
import torch.nn.functional as F

NUM_CLASSES = 21


def perfect_prediction_loss(masks: torch.Tensor) -> torch.Tensor:
    perfect = F.one_hot(masks, NUM_CLASSES).permute(0, 3, 1, 2).float()
    return F.cross_entropy(perfect, masks)


if __name__ == "__main__":
    masks = torch.randint(0, NUM_CLASSES, (2, 64, 64))
    print(f"loss of a perfect prediction: {perfect_prediction_loss(masks).item():.4f} (expected 0)")
