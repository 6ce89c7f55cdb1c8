#!/usr/bin/env python3
"""Regenerates the SSIM / PSNR / MSE fixtures and reference numbers of EvaluationTests.

Run with the peers interpreter (scikit-image, numpy, scipy), from any directory:
    /tmp/peers/bin/python Tests/EvaluationTests/Fixtures/make_references.py

Writes, next to this script:
    *.f32             images as raw little-endian float32, planar (channels, height, width)
    references.json   shapes and the reference numbers the tests compare against

References:
    wang2004         skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
                     use_sample_covariance=False, data_range=R), channel mean for color
    skimage-default  structural_similarity(data_range=R) (7x7 uniform, sample covariance)
    matlab           MATLAB's ssim convention computed here with numpy: 11x11 Gaussian
                     (sigma 1.5), replicate padding, mean over the whole map. It is a direct
                     (non-separable) 2-D window sum, independent of the Swift code's design.
"""
import json, os
import numpy as np
from scipy import ndimage
from skimage import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20040401)


def scene(h, w):
    """A structured test image: gradient, a disk, a bar, texture; values in [0, 1]."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = 0.2 + 0.5 * x / w + 0.1 * np.sin(y / 3.0)
    img[(y - h / 2) ** 2 + (x - w / 3) ** 2 < (min(h, w) / 4) ** 2] = 0.85
    img[h // 5: h // 5 + 3, :] = 0.05
    img += 0.05 * rng.standard_normal((h, w))
    return np.clip(img, 0, 1)


def degrade(img):
    blurred = ndimage.uniform_filter(img, size=3, mode="reflect")
    return np.clip(blurred + 0.03 * rng.standard_normal(img.shape), 0, 1)


def matlab_ssim(ref, img, data_range):
    """MATLAB ssim for one channel: direct 11x11 Gaussian window, replicate padding, whole-map mean."""
    r = np.arange(-5, 6)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5 ** 2))
    g /= g.sum()
    def filt(a):
        p = np.pad(a, 5, mode="edge")
        out = np.zeros_like(a)
        for dy in range(11):
            for dx in range(11):
                out += g[dy, dx] * p[dy:dy + a.shape[0], dx:dx + a.shape[1]]
        return out
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = filt(ref), filt(img)
    sx = filt(ref * ref) - mx * mx
    sy = filt(img * img) - my * my
    sxy = filt(ref * img) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2))
    return float(m.mean())


def references(ref, img, data_range=1.0, channel_axis=None):
    """ref/img are float64 arrays holding exactly the float32 values written to disk."""
    wang = dict(data_range=data_range, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                channel_axis=channel_axis)
    ssim_wang, full = metrics.structural_similarity(ref, img, full=True, **wang)
    out = {
        "mse": float(metrics.mean_squared_error(ref, img)),
        "psnr": float(metrics.peak_signal_noise_ratio(ref, img, data_range=data_range)),
        "ssim_wang2004": float(ssim_wang),
        "ssim_skimage_default": float(metrics.structural_similarity(ref, img, data_range=data_range,
                                                                    channel_axis=channel_axis)),
    }
    if channel_axis is None:
        out["ssim_matlab"] = matlab_ssim(ref, img, data_range)
        # Map samples (row, col, value) at corners, border and centre: checks the reflect padding.
        h, w = ref.shape
        out["ssim_wang2004_map"] = [[int(r), int(c), float(full[r, c])]
                                    for r, c in [(0, 0), (0, w - 1), (h - 1, 0), (2, 7), (h // 2, w // 2), (h - 1, w - 1)]]
    else:
        out["ssim_matlab"] = float(np.mean([matlab_ssim(ref[..., c], img[..., c], data_range)
                                            for c in range(ref.shape[-1])]))
    return out


def save(name, array_planar):
    array_planar.astype("<f4").tofile(os.path.join(HERE, name))


def main():
    result = {"generator": "make_references.py", "cases": {}}

    # Gray pair, odd and non-square.
    ref = scene(37, 45).astype(np.float32)
    img = degrade(ref.astype(np.float64)).astype(np.float32)
    save("gray_reference.f32", ref); save("gray_image.f32", img)
    r64, i64 = ref.astype(np.float64), img.astype(np.float64)
    case = {"reference": "gray_reference.f32", "image": "gray_image.f32", "shape": [1, 37, 45]}
    case.update(references(r64, i64))
    case["data_range_2"] = references(r64, i64, data_range=2.0)
    case["crop_4"] = references(r64[4:-4, 4:-4], i64[4:-4, 4:-4])
    result["cases"]["gray"] = case

    # Color pair (stored planar; scikit-image takes channels last).
    ref_c = np.stack([scene(33, 41) for _ in range(3)], axis=-1).astype(np.float32)
    img_c = np.stack([degrade(ref_c[..., c].astype(np.float64)) for c in range(3)], axis=-1).astype(np.float32)
    save("color_reference.f32", np.moveaxis(ref_c, -1, 0)); save("color_image.f32", np.moveaxis(img_c, -1, 0))
    r64, i64 = ref_c.astype(np.float64), img_c.astype(np.float64)
    case = {"reference": "color_reference.f32", "image": "color_image.f32", "shape": [3, 33, 41]}
    case.update(references(r64, i64, channel_axis=-1))
    # Luminance option: Rec. 601 luma computed in float32 as DeblurCore's Image.luminance does.
    w = np.array([0.299, 0.587, 0.114], np.float32)
    y_ref = (ref_c[..., 0] * w[0] + ref_c[..., 1] * w[1] + ref_c[..., 2] * w[2]).astype(np.float32)
    y_img = (img_c[..., 0] * w[0] + img_c[..., 1] * w[1] + img_c[..., 2] * w[2]).astype(np.float32)
    case["luminance"] = references(y_ref.astype(np.float64), y_img.astype(np.float64))
    result["cases"]["color"] = case

    with open(os.path.join(HERE, "references.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
