"""gankit translate: images in, images out, through a trained translation run (pix2pix, cyclegan,
discogan, srgan). Each input image is read at the run's input size and channel count (resized
and centre-cropped when it differs, which is said) and written as DIR/<name>.png."""

from pathlib import Path

from ..errors import GankitError
from ..safe_write import atomic_output, check_output_folder, make_folder

NAME = "translate"
HELP = "translate images with a trained pix2pix, cyclegan, discogan or srgan run"


def add_arguments(t) -> None:
    t.add_argument("run", help="run folder")
    t.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, or folders of images")
    t.add_argument("--out", required=True, help="folder to write the translated images to")
    t.add_argument("--direction", default="AtoB", choices=("AtoB", "BtoA"),
                   help="AtoB (default) or, for cyclegan and discogan, BtoA")


def input_files(inputs: list[str]) -> list[Path]:
    from ..data.folder import IMAGE_SUFFIXES

    files = []
    for name in inputs:
        path = Path(name).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise GankitError(f"{path} holds no PNG/JPEG/BMP/WebP images (check the folder)")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise GankitError(f"input {path} does not exist (check the path)")
    return files


def run(args) -> int:
    import torch
    from PIL import Image

    from ..api import load_run
    from ..data.folder import _open_image
    from ..data.pairs import is_translation

    result = load_run(args.run)
    if not is_translation(result.spec):
        raise GankitError(f"{args.run} is a {result.config.model} run, which draws samples rather than translating "
                          "images (use gankit sample)")
    extra = result.spec.extra
    c, h, w = extra["a_shape"] if args.direction == "AtoB" else extra["b_shape"]
    files = input_files(args.inputs)
    check_output_folder(args.out)
    images, resized = [], 0
    for path in files:
        with Image.open(path) as im:
            size = im.size
        array = _open_image(path, c, None if size == (w, h) else h)
        resized += size != (w, h)
        images.append(torch.from_numpy(array.copy()).reshape(h, w, c).permute(2, 0, 1))
    outputs = result.translate(torch.stack(images), args.direction)
    out = make_folder(args.out)
    names = set()
    for path, image in zip(files, outputs):
        name = path.stem if path.stem not in names else f"{path.parent.name}_{path.stem}"
        names.add(name)
        array = image.permute(1, 2, 0).numpy()
        with atomic_output(out / f"{name}.png") as tmp:
            Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(tmp)
    note = f" ({resized} resized to {w}x{h} first)" if resized else ""
    print(f"wrote {len(files)} translated images ({args.direction}) to {out}{note}")
    return 0
