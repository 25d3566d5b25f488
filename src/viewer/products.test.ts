import { describe, expect, it } from 'vitest';

import { isRomanFile, romanProduct } from './products';

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
