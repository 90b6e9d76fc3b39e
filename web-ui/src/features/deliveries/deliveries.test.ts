import { describe, expect, it } from 'vitest';
import { href, parseRoute } from '../../app/router';
import { deliveryId } from './api';

describe('deliveries', () => {
  it('have a route of their own, with or without a delivery opened', () => {
    expect(parseRoute('#/deliveries')).toEqual({ name: 'deliveries' });
    expect(parseRoute('#/deliveries/0192-abc')).toEqual({ name: 'deliveries', id: '0192-abc' });
    expect(href({ name: 'deliveries', id: 'a b' })).toBe('#/deliveries/a%20b');
    expect(parseRoute(href({ name: 'deliveries', id: 'a b' }))).toEqual({ name: 'deliveries', id: 'a b' });
  });

  it('are found in a webhook step output by its delivery id', () => {
    expect(deliveryId({ delivery_id: 'd1', message_id: 'msg_1' })).toBe('d1');
    expect(deliveryId({ status: 200 })).toBeUndefined();
    expect(deliveryId(null)).toBeUndefined();
    expect(deliveryId('d1')).toBeUndefined();
  });
});
