#!/usr/bin/python3
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) from real inputs: the PNG
fixtures, the JSON bodies the server documents, strokes of a drawn 7, and small weight blobs in
the DGTW format (one f32 and one int8 tensor, with and without their CRC-32).

    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import base64, json, os, struct, zlib

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, '..', 'fixtures')
out = os.path.join(here, 'corpus')


def write(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


pngs = {n: open(os.path.join(fixtures, n), 'rb').read() for n in sorted(os.listdir(fixtures)) if n.endswith('.png')}
for name, png in pngs.items():
    write('png', name, png)
    write('png_paths', name, png)
    url = 'data:image/png;base64,' + base64.b64encode(png).decode()
    write('data_url', name + '.txt', url)
    write('json', name + '.image.json', json.dumps({'image': url}))
    write('json', name + '.batch.json', json.dumps({'items': [{'image': url}]}))

seven = [[[20, 8], [80, 8], [62, 40], [45, 95]]]
four = [[[60, 5], [18, 65], [82, 65]], [[62, 30], [62, 95]]]
write('json', 'strokes.json', json.dumps({'strokes': seven}))
write('json', 'strokes-objects.json', json.dumps({'strokes': [[{'x': x, 'y': y} for x, y in s] for s in four]}))
one = [255 if 6 <= y < 22 and 13 <= x < 16 else 0 for y in range(28) for x in range(28)]
write('json', 'pixels.json', json.dumps({'pixels': one, 'width': 28, 'height': 28}))
write('json', 'pixels-small.json', json.dumps({'pixels': [0, 255, 255, 0, 0, 255, 255, 0, 0], 'width': 3, 'height': 3}))
write('json', 'batch.json', json.dumps({'items': [{'strokes': seven}, {'strokes': four}, {'pixels': [1, 2, 3]}]}))

for name, strokes in (('seven', seven), ('four', four)):
    split = len(strokes[0])
    data = bytes([split - 1]) + b''.join(struct.pack('<ff', x, y) for s in strokes for x, y in s)
    write('strokes', name + '.bin', data)


def blob(int8):
    meta = b'architecture=test-arch\ntemperature=1.25\nstorage=' + (b'int8' if int8 else b'f32') + b'\n'
    body = b'DGTW' + struct.pack('<II', 1, 2) + struct.pack('<I', len(meta)) + meta
    w = [0.5, -0.25, 0.125, 1.0, -1.0, 0.75]  # shape [2, 3]
    body += bytes([1]) + b'w' + bytes([1 if int8 else 0, 2]) + struct.pack('<II', 2, 3)
    if int8:
        scales = [max(abs(v) for v in w[:3]) / 127, max(abs(v) for v in w[3:]) / 127]
        q = [round(v / scales[i // 3]) for i, v in enumerate(w)]
        body += struct.pack('<I', 8 + 6) + struct.pack('<2f', *scales) + struct.pack('<6b', *q)
    else:
        body += struct.pack('<I', 24) + struct.pack('<6f', *w)
    body += bytes([1]) + b'b' + bytes([0, 1]) + struct.pack('<I', 2) + struct.pack('<I', 8) + struct.pack('<2f', 0.5, -1)
    return body


for int8 in (False, True):
    body = blob(int8)
    name = 'int8' if int8 else 'f32'
    write('weights', name + '.dgt', body + struct.pack('<I', zlib.crc32(body)))
    if len(body) % 2 == 0:  # the fuzzer seals even-sized inputs itself
        write('weights', name + '.unsealed', body)
    else:
        write('weights', name + '.unsealed', body + b'\0')
# HTTP request heads (the server's first look at a connection's bytes): the shapes it handles.
strokes_body = b'{"strokes":[]}'
write('http_request', 'get', b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
write('http_request', 'post', b'POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
      b'Content-Length: %d\r\n\r\n' % len(strokes_body) + strokes_body)
write('http_request', 'chunked', b'POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
      b'5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n')
write('http_request', 'expect', b'POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n')
write('http_request', 'pipelined', b'GET /healthz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n')
write('http_request', 'encoded', b'GET /%2e%2e/secret.txt?include=image&x=%zz HTTP/1.1\r\nHost: x\r\n'
      b'Origin: https://example.org\r\n\r\n')
write('http_request', 'options', b'OPTIONS /api/v1/read HTTP/1.0\r\nContent-Encoding: gzip\r\n'
      b'Content-Length: 99999999999\r\n\r\n')
print('seeds written to', out)
