import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPortMapping, parsePublish, parsePublishList } from '../../../../src/container/network/ports.js';

test('-p forms: hostPort:containerPort, with a host IP, a protocol, IPv6 in brackets', () => {
  assert.equal(parsePublish('8080:80'), { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' });
  assert.equal(parsePublish('127.0.0.1:8080:80/udp'), { hostPort: 8080, containerPort: 80, protocol: 'udp', hostIP: '127.0.0.1' });
  assert.equal(parsePublish('[::1]:53:53/UDP'), { hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '::1' });
  assert.equal(parsePublish(':8080:80').hostIP, '');
  assert.is(formatPortMapping(parsePublish('127.0.0.1:8080:80')), '127.0.0.1:8080->80/tcp');
  assert.is(formatPortMapping(parsePublish('[::1]:1:2/udp')), '[::1]:1->2/udp');
});

test('malicious and mistaken -p values are refused with the flag named', () => {
  const bad = [
    '', '80', '8080:', ':80', 'a:b', '0:80', '8080:0', '65536:80', '8080:99999', '-1:80', '1e3:80', '0x50:80', ' 80:80', '80:80 ',
    '8080:80/sctp', '8080:80/', '8080:80/tcp/udp', '1.2.3:8080:80', '999.1.1.1:8080:80', '[1.2.3.4]:80:80', '[::1:80:80', 'host:80:80',
    '1:2:3:4', '8080:80\n-A INPUT', '8080:80\0', '9'.repeat(200) + ':80', '::1:80:80', '080808:80',
  ];
  for (const b of bad) assert.throws(() => parsePublish(b), /-p/, `accepted ${JSON.stringify(b)}`);
});

test('the same host port twice is refused; the same container port on two host ports is fine', () => {
  assert.throws(() => parsePublishList(['8080:80', '8080:81']), /published twice/);
  assert.throws(() => parsePublishList(['127.0.0.1:8080:80', '127.0.0.1:8080:81']), /published twice/);
  assert.is(parsePublishList(['8080:80', '8081:80', '8080:80/udp', '127.0.0.2:8080:80']).length, 4);
});

test.run();
