import { describe, expect, it } from 'vitest';

import { isFitsFile, isRomanFile, romanProduct, stackKind } from './products';

describe('romanProduct', () => {
  it('reads the level from the Roman suffix', () => {
    expect(romanProduct('a/r0001_wfi02_cal.asdf').level).toBe(2);
    expect(romanProduct('r0001_wfi02_uncal.asdf').level).toBe(1);
    expect(romanProduct('field_coadd.asdf').level).toBe(3);
    expect(romanProduct('field_i2d.ASDF').level).toBe(3);
  });

  it('keeps the name and says when the level is unknown', () => {
    const product = romanProduct('deep/dir/model.asdf');
    expect(product.name).toBe('model.asdf');
    expect(product.level).toBeNull();
    expect(product.label).toBe('ASDF file');
  });

  it('does not mistake _uncal for _cal', () => {
    expect(romanProduct('x_uncal.asdf').label).toBe('L1 up-the-ramp exposure');
  });
});

describe('isRomanFile', () => {
  it('accepts only .asdf', () => {
    expect(isRomanFile('x.asdf')).toBe(true);
    expect(isRomanFile('x.fits')).toBe(false);
    expect(isRomanFile('x.asdf.json')).toBe(false);
  });
});

describe('stack images', () => {
  it('knows FITS images by their extension', () => {
    for (const name of ['m.fits', 'm.FIT', 'm.fts', 'm.fits.gz']) {
      expect(isFitsFile(name)).toBe(true);
    }
    expect(isFitsFile('m.fits.json')).toBe(false);
    expect(romanProduct('r/m.fits').label).toBe('FITS image');
  });

  it('calls exposures, mosaics and everything else by their role in a stack', () => {
    expect(stackKind('r0001_wfi02_cal.asdf')).toBe('exposure');
    expect(stackKind('field_coadd.asdf')).toBe('mosaic');
    expect(stackKind('r0001_wfi02_cal_residual.asdf')).toBe('user');
    expect(stackKind('model.fits')).toBe('user');
  });
});
