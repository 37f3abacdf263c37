import { describe, expect, test } from 'vitest';
import { ANY_HOST, isLoopbackHost, ownHosts, refusal, servedHosts } from '../../../local/request-guard.js';

const hosts = ownHosts('127.0.0.1', 4000);
const json = { host: '127.0.0.1:4000', 'content-type': 'application/json' };

describe('request guard', () => {
  test('It should answer to the loopback names on its own port, and to the bound name only elsewhere', () => {
    expect([...hosts].sort()).toEqual(['127.0.0.1:4000', '[::1]:4000', 'localhost:4000']);
    expect([...ownHosts('10.0.0.5', 8080)]).toEqual(['10.0.0.5:8080']);
    expect([...ownHosts('::1', 80)].sort()).toEqual([
      '127.0.0.1',
      '127.0.0.1:80',
      '[::1]',
      '[::1]:80',
      'localhost',
      'localhost:80',
    ]);
  });

  test('It should refuse a Host that is not its own, as a rebound DNS name sends', () => {
    expect(refusal('GET', { host: 'attacker.example:4000' }, hosts, false)).toMatchObject({
      status: 403,
      code: 'forbidden_host',
    });
    expect(refusal('GET', { host: '127.0.0.1:4001' }, hosts, false)?.code).toBe('forbidden_host');
    expect(refusal('GET', {}, hosts, false)?.code).toBe('forbidden_host');
    expect(refusal('GET', { host: 'LOCALHOST:4000' }, hosts, false)).toBeUndefined();
  });

  test('It should refuse a request from another origin, and take its own', () => {
    for (const origin of [
      'http://attacker.example',
      'http://127.0.0.1:4001',
      'https://127.0.0.1:4000',
      'null',
    ])
      expect(refusal('POST', { ...json, origin }, hosts, false)?.code, origin).toBe('forbidden_origin');
    expect(refusal('POST', { ...json, origin: 'http://localhost:4000' }, hosts, false)).toBeUndefined();
  });

  test('It should take writes only as application/json, and leave PutEvents and reads to their own rules', () => {
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ])
      expect(
        refusal('POST', { host: '127.0.0.1:4000', 'content-type': type }, hosts, false),
        type,
      ).toMatchObject({
        status: 415,
        code: 'unsupported_media_type',
      });
    expect(
      refusal('POST', { ...json, 'content-type': 'application/json; charset=utf-8' }, hosts, false),
    ).toBeUndefined();
    expect(
      refusal('POST', { host: '127.0.0.1:4000', 'content-type': 'application/x-amz-json-1.1' }, hosts, true),
    ).toBeUndefined();
    expect(refusal('GET', { host: '127.0.0.1:4000' }, hosts, false)).toBeUndefined();
  });

  test('It should tell loopback binds from the others', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'my-machine.lan'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  test('It should serve any Host when bound beyond loopback, where the token guards, and keep Origin to the Host', () => {
    expect(servedHosts('127.0.0.1', 4000)).toEqual(hosts);
    expect(servedHosts('0.0.0.0', 4000)).toBe(ANY_HOST);
    // Other machines reach a runtime on 0.0.0.0 by addresses and names it cannot know.
    for (const host of ['192.168.1.20:4000', 'my-machine.lan:4000', '0.0.0.0:4000'])
      expect(refusal('GET', { host }, ANY_HOST, false), host).toBeUndefined();
    expect(refusal('GET', {}, ANY_HOST, false)?.code).toBe('forbidden_host');
    const write = { host: 'my-machine.lan:4000', 'content-type': 'application/json' };
    expect(
      refusal('POST', { ...write, origin: 'http://my-machine.lan:4000' }, ANY_HOST, false),
    ).toBeUndefined();
    expect(refusal('POST', { ...write, origin: 'http://attacker.example' }, ANY_HOST, false)?.code).toBe(
      'forbidden_origin',
    );
    expect(refusal('POST', { ...write, 'content-type': 'text/plain' }, ANY_HOST, false)?.code).toBe(
      'unsupported_media_type',
    );
  });
});
