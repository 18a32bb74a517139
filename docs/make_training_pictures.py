"""Draw the pictures of docs/training.md: ``python docs/make_training_pictures.py``.

They come from two real training runs with the default settings and seed 0, exactly what
``npconv train digits --plots docs/images/training/digits`` and ``npconv train autoencoder
--plots docs/images/training/autoencoder`` write (about a minute in all; needs the extras
``viz`` and ``train``).  Importing this module (pytest does) trains and draws nothing.
"""

from pathlib import Path

IMAGES = Path(__file__).resolve().parent / "images" / "training"

PICTURES = {
    "digits": ["history.png", "confusion.png", "misclassified.png", "kernels.png",
               "feature-maps.png"],
    "autoencoder": ["history.png", "reconstructions.png", "code-walk.png"],
}
"""The files each run writes, in ``IMAGES / <network>/``."""


def main():
    from npconv.tools import train
    from npconv.viz import training

    runs = {"digits": (train.train_digits, train.accuracy_line,
                       training.save_digits_pictures),
            "autoencoder": (train.train_autoencoder, train.reconstruction_line,
                            training.save_autoencoder_pictures)}
    for network, (trainer, final_line, save) in runs.items():
        result = trainer(seed=0)
        for path in save(result, IMAGES / network):
            print(f"{path.relative_to(IMAGES.parent.parent)}: {path.stat().st_size / 1000:.0f} KB")
        print(f"{network}: {final_line(result)}")


if __name__ == "__main__":
    main()
