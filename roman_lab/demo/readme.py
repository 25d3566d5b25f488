"""README.md of the data set: what each file is, from the manifest."""

README = "README.md"


def text(manifest):
    cr = manifest["faint_cosmic_ray"]
    noise = manifest["noise"]
    size = "small (for tests)" if manifest["small"] else "full-size"
    rows = "\n".join(
        f"| `{e['cal']}` | `{e['uncal']}` | {e['detector']} | {e['visit']} | {e['exposure']} | {e['roll_deg']:.0f} |"
        for e in manifest["exposures"]
    )
    pixel = cr["pixels"][0]
    return f"""# roman-lab demo data set ({size})

A synthetic Roman WFI field, made by `roman-lab demo` (generator version
{manifest['generator_version']}, seed {manifest['seed']}). Every file is written with
`roman_datamodels` and validates against the Roman schemas (rad). Nothing here is real data.

## The field

The low surface brightness galaxy {manifest['galaxy']['name']} (RA {manifest['galaxy']['ra']},
Dec {manifest['galaxy']['dec']}): an exponential disc with faint outskirts and a few
star-forming clumps, a few hundred stars (some bright enough to saturate), zodiacal
background, and cosmic rays. Filter {manifest['filter']}; {manifest['detector_pixels']} x
{manifest['detector_pixels']} science pixels of {manifest['pixel_scale_arcsec']:.4f} arcsec per detector.

## Files

| Level 2 (`ImageModel`, DN/s) | Level 1 (`ScienceRawModel`, DN) | detector | visit | exposure | roll (deg) |
| --- | --- | --- | --- | --- | --- |
{rows}

- **Level 2** `*_cal.asdf`: count rate fitted up the ramp (`data`, `err`, `var_poisson`,
  `var_rnoise`, `dq`, ...), with a gwcs WCS in `meta.wcs` (`detector -> v2v3 -> world`:
  a distortion polynomial, then a TAN projection). Cosmic rays the pipeline caught are
  flagged `JUMP_DET` in `dq` and left out of the fit; saturated pixels are flagged `SATURATED`.
- **Level 1** `*_uncal.asdf`: the resultants, uint16, shape (n_resultants, n + 8, n + 8):
  the science pixels plus a 4-pixel reference border, so L1 pixel = L2 pixel + 4. Read
  pattern {noise['read_pattern']} with a frame time of {noise['frame_time_s']} s; read noise
  {noise['read_noise_dn']} DN per read, gain {noise['gain_e_per_dn']} e/DN.
- **Level 3** `{manifest['mosaic']['file']}` (`MosaicModel`, MJy/sr): the exposures resampled
  onto a north-up TAN grid and averaged (weights: inverse read-noise variance; pixels flagged
  DO_NOT_USE or JUMP_DET left out), with `context` (bit i of plane i // 32 set where member i
  contributed), `weight`, and its lineage in `meta.resample.members` and
  `meta.individual_image_meta`.
- `photon_torpedo.py`: an example user algorithm. `python photon_torpedo.py EXPOSURE_cal.asdf
  [OUTDIR]` writes `<exposure>_model.asdf` and `<exposure>_residual.asdf` with the exposure's WCS.
- `demo.ipynb`: the science case, step by step.
- `demo.json`: the manifest: files, geometry, noise model, and the truth below.

## The planted glitch

One faint cosmic ray was NOT flagged by the (simulated) pipeline: in `{cr['exposure']}`,
science pixel (x, y) = ({pixel['x']}, {pixel['y']}) (0-based; L1 pixel ({pixel['l1_x']},
{pixel['l1_y']})) and {len(cr['pixels']) - 1} neighbour(s), at RA {cr['ra']:.6f}, Dec {cr['dec']:.6f},
on the galaxy's outskirts. It adds {cr['amplitude_dn']} DN between resultants {cr['resultant'] - 1}
and {cr['resultant']}: a {cr['significance']} sigma jump in the ramp, and a faint knot in that
one exposure only.

Regenerate with `roman-lab demo DIR` (add `--small` for the test-size version).
"""
