import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { decodeJpeg, isJpeg, readJpeg } from '../../src/data/jpeg.js';
import { Rng } from '../../src/util/rng.js';

/*
 * Fixtures made from small synthetic pictures (gradients across and down, hard-edged stripes) by
 * ImageMagick 6.9.11 or cjpeg, both libjpeg-turbo 2.1, and ImageMagick's own decoding of each:
 *   convert src.ppm -strip -quality 90 -sampling-factor 2x2 [-interlace JPEG] f.jpg
 *   cjpeg -quality 90 -optimize -sample 2x2,1x1,1x1 [-restart 1B] [-progressive] [-scans FILE] [-rgb] src.ppm
 *   convert f.jpg -depth 8 ppm:-   (pgm:- for grey)
 * ImageMagick decodes with libjpeg's accurate integer IDCT; this decoder's float IDCT rounds a
 * sample the other way now and then, which the colour conversion can make up to 3 levels. With
 * libjpeg-turbo's float IDCT (`djpeg -dct float`) the pixels are the same to the last bit: the
 * last field lists where those differ from ImageMagick's, as `index:value`.
 * Each entry: name, width, height, channels, the largest difference from ImageMagick's pixels (in
 * levels of 255), the JPEG and ImageMagick's pixels (base64), djpeg -dct float's changes to them.
 */
type Fixture = readonly [name: string, width: number, height: number, channels: 1 | 3, tolerance: number, jpeg: string, pixels: string, floatIdct: string];
const FIXTURES: readonly Fixture[] = [
  ['4:2:0', 17, 11, 3, 3, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAALABEDASIAAhEBAxEB/8QAFwAAAwEAAAAAAAAAAAAAAAAAAAcICf/EADMQAAADBQMGDwAAAAAAAAAAAAABAwIEBRETBhJRBwghMTKBFRYYIiMzNVNVYXGRkqTR/8QAFwEAAwEAAAAAAAAAAAAAAAAABAYHCP/EACoRAAADBQUJAQAAAAAAAAAAAAECBAADBRESBxMiUXEXISNSVIGRkqLS/9oADAMBAAIRAxEAPwBCWczb11aXCTNCXV9ETU8dncHNYnN7XV7Nh1CUqmkmp4bW8Ufk1snCHwlKzim3duy0mUteB+Qa9nYe7PlKsgm3d1c0il7egnUftDWJEzuLPBOF/VSIHqfmoGka3xg4cpyLdO8ZMB+Zk6zW0deIkd5S08T39x0aS+TU5d99doA0R4jQLw5P5NfoADdxrpU3up/bat2pLczfLf/Z', 'AADiCQLkHwDhMQa1LwBOPwcgUgkdZwcifwIujQAtlwIgoQBKvwq5ygbi2AbZ6Qyq7QNKBx3BEx/BKR29Oh6ZPhlNSxspXRwkbhkwfQ9MjhBamxRWqhZqxB6m1h685yC5/Ceb9hdGACxTAjBUGDBSKy1ERC80Uy4mYzIjbzBBjj2cmTm+ozi8sDehuzFszS9S3SlO7ixG/jIzAE4pCVAmHU4hK0YnSUlRVENWYUZNakNeiFKglVC6ok+7tFOau0tHz04m5Ugp9Ec2+0hLB2YmEWYiJWgbM2JAUGikXGTGa2q6em2ie11pj2BYn2BXsmhPtmMvz2kr5GUw8WJS/2+iAHVNCnhLHntGMXtkSX+rWYHGaYe9fYqaf3tMkn0unnsnrn40uHxKyX1Z2nlW5XVq/4uuCKHDEqHBI5+7Mp6gOJprSJlUWJVPapNEgZc1kJgpnZopq5pMx6Ch1KHC4KS+8aem8JNnArfCD7rEI7rBNb+dNbVER7giXLgnb7Y0f7BHjK1Sma5TpqtpyLur1bq/4bu487+X9rNIAMFWCMhbGcVVKMdGPc8wS9EkV84naM1Lh9OTnNK6qc69uc+ou8ZozMZO3cNK8clG+8w0BuEtEuYxH+EpLuAyQONIS+NSUt9TY95qje+mn+u8reXAvOefwuVN1Ocp5uEl9uAy++JKC/kpF/wtJvosN/tRUP+dX//Caf/FfP+xffFsk/RVovJVtPdPvfk50f4x5fss8fhK//+i', '6:32 9:50 30:152 31:3 32:33 54:22 56:194 57:43 58:28 60:59 61:29 108:25 285:159 286:124 287:40 294:200 295:124 296:88 321:71 322:152 323:83 393:201 394:188 395:172'],
  ['4:4:4', 13, 9, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAJAA0DAREAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABwj/xAApEAAAAwUFCQAAAAAAAAAAAAAAAxEBAgYTgQQFCBUyISMxMzRCUYLB/8QAGAEAAgMAAAAAAAAAAAAAAAAABggFBwn/xAAvEQAAAgcECAcAAAAAAAAAAAACEQABBAUGEjETISIyAwcUFjNBUbEjNEKBg8HC/9oADAMBAAIRAxEAPwA2g7CccbJzIuQnL3LHl86aCQiaJHk1y74N1gR2eAI5jKfhLuLDmqd1FoGwVH4Ay7Os+t5d0eoSwsnG2F7LbrkIkzax5eKaqiumOPXk1j0m57NYEVp4gRzGcnFoWLLU76KRznLHYAsqto0p9OXZFGA+ygWd4c0ygg70pS5vQ2X2+A41w52L5Pwjcwp5UXt9p//Z', 'AAD0DQPdJAPmQgDkTwErbQAshQA1lQIepQQwuwAk2QAo5QAn/wDpBCDmFSLiLh/qRRrbUiYzaSEigx4slCEorBokwBwb2yAp6iUf/xnrAD8oEkAmLUAqPz4sUkMkZEAmgUAqlkIop0XquUXo1EDu6zXi+0wvAGYeEmAkL10cP1cjWGgpZ2Evg18lnFksq13kumLa1GHg71fd/mQuAoItF300MH8sP4MsWH3naIHmgITfln/nsXszvIAq1IMx7oUp/XstAJ4lEp4jKqQbPqklVZniaZ7sgaTkkqTiq6EluZ8k0aAg6Z8c/p4tAMPtD8HxJ7/kQrXrVccqcL0xiLsimbkoqsAvvL4v2MEm6sE1/7zkA93fEeDoKeLkRd/hTuMpa98mguEhkOQqqOUdvtwv2t4l5N8j/+HnAP8pE/8pKf4mP/4lVv8ra/8qgv8plv8qq//nu//k1//n6P/j//0s', '24:164 25:3 26:47 114:250 115:77 158:47'],
  ['4:2:2', 17, 11, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAALABEDASEAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwAG/8QAMxAAAAMFAwYPAAAAAAAAAAAAAAEDAgQFERMGElEHCCExMoEVFhgiIzM1U1VhcZGSpNH/xAAYAQACAwAAAAAAAAAAAAAAAAAHCAUGCf/EADURAAACBwMFEQAAAAAAAAAAAAMRAAECBQYSEwQUIgcVFkGhITFCUVJTVFVxcoGToqPB0dL/2gAMAwEAAhEDEQA/AASzmbeurS4SZoS6voianjs7gzWJze11ezYdQlKppJqeG1vEg+IneQDyXiqPYTus0ZWfKEqBdkhcpLHk2jFhbDGIg1bflRLTZcmpy7767QgIr7DnXPsCfaN1pqNxbVIu5NbJwh8JSs4pt3bstJlLXgfkFezsPdnylWQTbu6uaRS9vQDKJbQK74cst2alvVSrrmpiKk3zllPgkes0ycyaWodoZk2l4SLxVuou8RoF4cn8mv0QIOhTh6P62/0jQZ1tvOL2J//Z', 'AALXCATfHADoMgS+OQBQTAAkXAEsbQIsggEnkQAknQAnqABTwQi7zgPo4QDt8wLD9gBWDBLqFRbsJBfqNBq8PhdaURcvZRYsdxUsgRQplBcpohkpsRZYyBe91BXs3Rzp9CTA9RVTBS8bEDIiHjYpKzIqQTMmUDAhXzUfaTFOgzzAjDfsmTXlrDWzwDNT0jQo3TAp6zMr+DYsBEsrD0wtHksqK0YjQ1UlUE8fYE8hakdOhE+7jkvpmEvpr0+9v0dR1Usm4Esh7U4k+VAnDWQgFGUjJGYoLGJVQWvBTWXrYWXrd2m+fGBSkWgmoGoit2wpwGAk1mQw32cy6WRf/2zABHomDX0nHYEnKoFUO4W2S4LmXYTtc4jBen1Oj4AhnH0gsX8owH4q04Ev3oAm5XpQ/4jBAZ/gC57jHJrnL5q6PJxUUJ4mYJkkcJYlgpgpkJgrnZkrrJdWxZ241Jrm4prs9KDC9JVRDqnrFa/rHrbnMLy7Oq9WUbEpZrMndrUpgLQsjrQtoLMmraxQy7XB1LPs2rbi7Ly487JUAMciD84oGs4kLMwiQs0oVcorY8cpcMdWgNGxjtLfmM/jsNC4wMhR1skj4cgj884o/s4kAOQrDeorGOYfKOcdPO0jS+spWOQrZuBXhu+3k+rknOXrsObEweJf1OYw3+Qo7uYp+OkuA/s1EP80H/4nMv1US//AW/3wafzqe//AdfpThv8rk/8nqf8ru/0q0v4r4P8j6ftN//+5', '30:158 32:40 54:22 55:23 56:237 77:39 82:26 83:40 112:51 113:40 118:49 119:31 285:157 286:126 287:33 294:210 295:128 296:46 321:79 322:157 323:37 387:158 390:172 391:173 393:204 394:182 395:194'],
  ['4:4:0', 13, 9, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAJAA0DARIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABwj/xAApEAAAAwUFCQAAAAAAAAAAAAAAAxEBAgYTgQQFCBUyISMxMzRCUYLB/8QAFgEBAQEAAAAAAAAAAAAAAAAABwMI/8QAKBEAAQEGBQMFAAAAAAAAAAAAEQIBAwQFBhIABxMhMiIxM0FxctHx/9oADAMBAAIRAxEAPwA2g7CccbJzIuQnL3LHl86aCy4D7KAhneacdEjVdqfA+Z8t4PjZpA+puIYAGkFoyv5ym0LHtt94LoSwsnG2F7LbrkIkzax5eKaqi6Dehsvt8EaqqycUmt1qxKlat3hshuI5WIVfy6SLdwbm42JTuYs3fwuzew7ta38x/9k=', 'AAXeCQbZJgXYQQPIRwQvYgMhgAEflQMangkmuQEd0gIi2gcN/wDtBSbBGSe8NCW+SyCtVSQ6ax8rhxwsmx4mnxdVvBRP1xlX5h5M/x3EADdUDTlSJzpbOzlPUkEvZUAlgUAuk0ItsUbIykS93Ua66z22/kFdA18sEl8pKF0zNlsnVWBcY11PeVpYilpWrWPCxmO122W97l69/mUsA4EtEYMkJ4I1O4YpXoK+c4WziYTEmIe+n35TuXxD0ntd6X5a+n4kAJlRCZpLI5tdO6FXW565c6SzjaTEnKa/o6UmvZ8Z1Jsw5Z4q+5lOBcm9Fsi8LsPBRb65UMFXZrxNfrZTkbVTpsQowrwo2b4v6ME1/8KzBuO6GuS8NePCUN/DUeEpa94niNwvm94vp9tVv9NY1dda49Rd/+O2BfNTGfZPL/JWRPFXW/0tcfwtiPk1m/wxvP7A0Py/4v/F9/7I//VR', '24:157 25:8 26:37 251:79 300:192 301:210 329:47'],
  ['4:1:1', 17, 11, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAALABEDAUEAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwAG/8QAMxAAAAMFAwYPAAAAAAAAAAAAAAEDAgQFERMGElEHCCExMoEVFhgiIzM1U1VhcZGSpNH/xAAWAQEBAQAAAAAAAAAAAAAAAAAIBQf/xAAlEQABAgUEAQUAAAAAAAAAAAACAREDBAUSIQAGEzEHIkFSkbH/2gAMAwEAAhEDEQA/AASzmbeurS4SZoS6voianjs7gzWJze11ezYdQlKppJqeG1vGy5NTl3312hCBuStS01NEFWneG0jdbFO+OTFGwK+mx4YfArbg7XSA8YbzUaEHHnr36RsfeV0u5NbJwh8JSs4pt3bstJlLXgfkFezsPdnylWQTbu6uaRS9vQLvEaBeHJ/Jr9EMkkqTJ1ifiwJ4LxgwoFiOSNyAsQ+lRVcyVcuzsjIyaJPjioTUOhAomuV/Ma//2Q==', 'DQDiEwDoGAHtHAXxRAAeSAMiTgkoVA8umQAnnAAqnwAtpQEz1QDp2wDv3gDy4QH1+wQjERLcFhfhGxzmHB3nUBwPUR0QViIVWycagRYgiB0njiMtlis10g3W2hXe4Bvk5yLr/xglBysrDTExFDg4Fjo6WCgmWiooYTEvZzc1kC3olTLtlzTvlzTv1DMf1TQg1jUh3Dsn/ywqE0UgF0kkG00oG00oWEolWEolXU8qYFItj0PXlUndmEzgnFDk3EQV4EgZ40sc6VEi/0wrDmInEWUqF2swHHA1Ul/RV2TWXWrcYW7gg2I3iWg9jm1Cl3ZL1Fch3mEr42Yw6Ww2+WrcB3obDH8gE4YnHI8wTnLiV3vrXoLyYob2kHwZk38clYEenYkm0Xge2YAm24Io3oUr+4bfHJHgH5TjIpfmI5jnU5grVZotV5wvWp8yjZIrkZYvlps0nqM82Yrl4ZLt5pfy6pv2+5opC67XEbTdF7rjG77nWacvXKoyY7E5abc/gbcXhbsbib8fjsQkyLLZzrjf0bvi1b/m/6wqDsIYF8shGs4kHtIoU8YgV8okWcwmYtUvlb7en8joocrqpM3t0ccn08kp1sws39U1/8ckDeEbFOgiFOgiGe0nTeUgUekkUekkWPArld7lm+TrnOXsnufuzeQy0Oc10eg21+48/+ceDPgqEv4wFf8zH/89XPHeZfrnaP3qbf/vf/4lhf8riP8ukP82xPkizP8q0P8u1f8z//na', '30:160 32:46 54:23 55:24 56:226 76:21 77:34 79:28 80:41 82:34 83:47 85:42 86:55 101:35 151:45 152:40 285:150 286:130 287:31 294:216 295:127 296:37 321:84 322:153 323:44 381:128 382:184 384:132 385:188 387:136 388:192 390:141 391:197 393:201 394:179 395:218'],
  ['4x2 luma', 19, 10, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAKABMDAUIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwAG/8QALhAAAAIGBgoDAAAAAAAAAAAAAAMBAgQREyMFBggyQlEVISIkMTM1QVKBVGGS/8QAFQEBAQAAAAAAAAAAAAAAAAAABgf/xAAjEQACAgAEBwEAAAAAAAAAAAABAgMRBgcSMQAEBRUiUWFx/9oADAMBAAIRAxEAPwAOoGzCebC0krAdy5SFn53fQW6nWbDjem0bAc6JrQs/K97G+ZrLTDAUndvjrCCBVdkI2ZJf4QHdLIRuckvFgR9DUM7IRBUkl8PBAhBcU5hc4jwySQiQSBnAd38bdkJJVkLSMU1O7XqtVVUVACgysx/1btFBqqhv8/NvQ4//2Q==', 'AAPRAgjWBw3bCxHfSAAbSwAeUAMjVgkpeAAbewMefgYhgwsmtgDluwDqvgLtwQXw3gQf4ggj5gwnDxXjFBroGB7sGB7sXA8vXA8vYBMzZRg4hQ0oixMukRk0mCA7wwfyyg750BT/1hr/7RMu8hgz9hw3AzYVCTwbD0IhEUQjND4ZNT8aPEYhQkwngzbSiDvXiTzYiTzYvzcrvzcrwDgsxT0x5DsU6UAZ7UQdF0opGk0sHlEwHVAvSlQvSVMuTVcyUFo1kEPflknlmEvnnE/rzEQ4z0c70ko+2FBE9Uwl+lEq/lUuAHUhAngkCH4qDIIuSGrYTW/dU3XjVnjmaXoQb4AWdIUbfI0jqHEXsXogtX4ku4Qq7HDO8XXT9XnXDYMvEYczGI46IJZCVnjmXoDuZYf1aYv5e4wifo8lgJEnhpctu4Qqwosxw4wyx5A2/4Ph/4fl/4vpFKbfF6niGavkGqzlVaUoVaUoWKgrWqotd6wUe7AYf7Qch7wktqPavqviwq/mxrPq4a8Q5bMU6bcYH7HqJbfwK732LsD5YLAzY7M2abk8b79CiL0li8AojsMrk8gwybbtzrvy0b711MH48sAh9sQl+sgpAOYeAekhBu4mC/MrPeQYQukdR+4iSvEleuTNfujRg+3WhvDZqOwLqu4NsPQTs/cW6ttA7t9E8uNIDvYuEvoyFv42G/87TfQoUvktV/4yWv81ivTdjvjhk/3mlv/puPwbu/8ewP8jxP8n+utQ//BV//NY', '24:119 25:1 27:122 28:4 30:125 31:7 33:130 34:12 81:132 82:14 84:138 85:20 87:144 88:26 90:151 91:33 241:105 242:218 244:110 245:223 247:116 248:229 250:119 251:232 298:119 299:232 301:127 302:240 304:134 305:247 307:138 308:251 399:32 400:178 401:235 420:110 421:190 422:65'],
  ['4:2:0 narrow', 3, 7, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAHAAMDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAfEAABAgYDAAAAAAAAAAAAAAAAAQMEBQcIFiM0QVH/xAAUAQEAAAAAAAAAAAAAAAAAAAAG/8QAJBEAAAQCCwAAAAAAAAAAAAAAAAEEYQMFBgcUFSMlMjNBQ2L/2gAMAwEAAhEDEQA/AK1TOyuPwOSaWeOnbXqgANKynFpiZuq1H2ubBdR6sKfXMjxC2ofHgnH/2Q==', 'IADIRhnu9gbXOg3iYDP//yHyIEgJRm4v91waO2MkYopL/3c1HqAKRccx9rMaN7kjXuBK/8wzK+7QUf/2///i', '0:31 2:199 55:237 56:210 59:248'],
  ['4:2:0 restarts', 17, 11, 3, 1, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAALABEDASIAAhEBAxEB/8QAGAAAAgMAAAAAAAAAAAAAAAAAAAcFCAn/xAAwEAAAAwUEBgsAAAAAAAAAAAAAAxEBAgQFEwYIElEHFSExMoEWGCIjM1NVkZKk0f/EABUBAQEAAAAAAAAAAAAAAAAAAAcG/8QAKxEAAAMEBgsAAAAAAAAAAAAAAQIEAAMFEgcREyJRcRcjMUFSVIGRkqLS/90ABAAB/9oADAMBAAIRAxEAPwBCWdu4nm0tZO0E8PumPLnw8g5rFXfDzU1bLqCJU2seXLi5ix+jaykpjalaBLfw4U2tYm/Joa9npfDRrSaxBb+Hd2WMT2B1H6Q1iRM6izwThbzSiB5n5pBlGd8YNXVsLZO75Lh+Jo6jakZeIkd4VZdt/Ucm/9Cd6tcF5313gDRHoNIvTi/k9+gBZZxrlU3mp+2fNKK3E3q3/9k=', 'AAPeCQXiIAHlMge5LgNLPgogUQglZQgnfQMojQMnlgUknwFMvAy3xgfg1gfb6A2x6wRKBx+9FCDAKh3COx6ePxpNSxsnWxsrbRg1fBFHjhFTmxZXqRZuwx+i0x655iC7+yef9hhHAC1PBDBTHDBVLyxHRjAzVS8mYzEoby9Hjj6Xmzu5pji9sTekvDFozC9O3SlQ7itJ/TI1AU8nC08mHU0jLEQqSklPVUJWYERTakJkiFKdllK1o1C8tFKbuU1Dzk0j40gq80c5+0hMBmciDmggImkdMWJCT2mkWWXHZmu/dm2keF5njGJUm2JXrWpQtGUtyWoo32Yv72NU/2+kAHZJCHhIHnpHMHtmRn+qVoHFZ4fAeoudfnxLj38qnH4oq380tX5Ixn5W1HpX4nZs/4muC6DAFaC/Jp27NZyhOpdrSpdTWpNPa5FEgpcylJgpn5knr5lNx5+f1Z/B4aK/8qaq8JNnBba+ErnCJrnBOr2eOLJDSrYiXrUocbQzgK9Fj6xPnK1RqKtoyrqr1rm+4rq687+Y9bJHAMRWCMpaGcpYJcZFPtI0R88jVdAoZ85JhtWUmNO3qdO/s86juchpxcVL2sZN78pI+s00BuQtEecvIeUsKt8wQudNSOFTU+JVYd5ojPCnney8rerAt+iZwehNz+Ym4+Il8+I0+uJMD/koGPoqK/stOPdPU/+jXv/EbP/Ff/+wgfBulfNXpvRStPdIwPk60fow5/ou8/dL//+j', '282:144 283:128 284:43 399:225 400:185 401:185'],
  ['4:4:4 restarts', 17, 11, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAALABEDAREAAhEBAxEB/8QAFwAAAwEAAAAAAAAAAAAAAAAABQcICf/EADAQAAADBQQGCwAAAAAAAAAAAAEDEQACBAUTBggSUQcVITEygRYYIiMzU1WRkqTR/8QAGAEAAwEBAAAAAAAAAAAAAAAABgcIBAX/xAAxEQAAAgcGBQEJAAAAAAAAAAABEQACAwQFBhITFBYhMVEVIjIz0aEjQVNUVaKjsdL/3QAEAAH/2gAMAwEAAhEDEQA/AEJZ27iebS1k7QTw+6B5c+HkxZMUaiT3RjB9sCOz5FV6jKvtDkXL1anloKB0rzmoqV3z3z8p/9AVYq74eamrZdQRKm0Hly4ubYnac4i92mD3WwIrT2iq9RnR3dC5unU89AR8S9N6itN4aHt7v0n/0TvVrgvO+u8yyvsufWfwNPKW7jVtt6gn/9J9aNrKSmNqVoEt/DhTaIJvyFlDJcJc45e+IKV0UFzLAR1n0iGwapEEFf3lnRQuKf/TtGz0vho0SaxBb+Hd2QBPZopmKZ4vHKOIN66DLJUCMj6QDYNUEpXbNGRULCBp/9TS7oNIvTi/k9+spsFwH5f72n9J2uKPnxB9PCf/2Q==', 'BADxDQPdHALnMwDmOwMqUwAoYQAzagYeewQsjgMkoQAmqwIpxADkzQLn4QDp9ADh/wAoABzkDB7iHxvsNBXcQB8yVBkfaBQrdBcpgxQklBkephkpsCIhwRPnyxvg3Rvr7iDl/xgnATAoETIpJDMuMTAuPzYlSzQmXzMqbzUqfTbqjTjtnzLwsSrmvD0uzjUj4C8p8DEp/TUoA08eFEomKEgfMEMlQ1QnS08uX00lcUkvgEnljU/enEzhs0bhvU8s1Eks5UYw8ksp/E8lAGspDWUzIWYtLGktRGLkTmbiYmfcc2LmhmE0j2gtnGkysm8rvGEs0mYl32cq6W8k/2TnAH4hC34hHYQbK4omP3jfTn/oYITibIXigYIli4IlmYEfrYMdvX8o0YIm4H8h64Ai/4DrCJnsEZjyIpfnNI/sP6EoVJkvYpchbJYqf5kukJgxoJklr503xJPi0pfx45nm9Jjr/pkjArHgC7TrHLboNLLkPLUqVLElZbMibrYuf7gdkrEypLAmqrUowbPkybjl27jY7bHv/7MqAMsoE80sJ8ssMMcgRNAxTcwlYcoldswpe8vkis/undHpr8Tjv9Ir0sYm58gi9Mws/80mAOkqDukrIeYlKeYQPuw9ReslV+ogZugjiObok+jvoujmsd/UwO07z+Uo3+Uh6+gn/ucpAP8xD/8lIf8nLv84SfvhVvzwaPvxeP7mfv4th/8nmP8lqf84vP8bzfww3v4v6P8q+//q', '205:106 266:36 282:140 283:131 284:38 287:33 399:218 400:183 401:215'],
  ['4:2:0 progressive', 17, 11, 3, 3, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wgARCAALABEDASIAAhEBAxEB/8QAFwAAAwEAAAAAAAAAAAAAAAAAAAYHCP/EABcBAAMBAAAAAAAAAAAAAAAAAAMFBgf/2gAMAwEAAhADEAAAAUFzpDXOJpKaJAav/8QAHBAAAQUAAwAAAAAAAAAAAAAAAAECAwQGBRQW/9oACAEBAAEFAq+bVSlnlU80w42pE8rxtedGA//EABsRAAIBBQAAAAAAAAAAAAAAAAADBgIWIWGh/9oACAEDAQE/AY1I34pLpdvh/8QAIxEAAAUDAwUAAAAAAAAAAAAAAQIDESEABBIGIjJRU2GR0f/aAAgBAgEBPwG/1CskmW7M+92lzi0ScePjEshA9axve0n7U+1//8QAHxAAAgECBwAAAAAAAAAAAAAAAAERIVECAxMjMTOi/9oACAEBAAY/AlqUtQ28uLnPkc4EKUjrR//EAB0QAAEEAgMAAAAAAAAAAAAAAAABESGxYZHR8PH/2gAIAQEAAT8hinco5qrOlRNMzEwzYPQU/9oADAMBAAIAAwAAABDfL//EABwRAAEDBQAAAAAAAAAAAAAAAAEAEXEhUWGBkf/aAAgBAwEBPxAs2mjj12YWVH//xAAYEQADAQEAAAAAAAAAAAAAAAABETEQIf/aAAgBAgEBPxA7A2DtWUhrF4f/AP/EACEQAAAEBQUAAAAAAAAAAAAAAAABEVEhMUFhsRBxkcHw/9oACAEBAAE/EKXLKnwDG0mJTZaYIqBImSTY7CxVQEnGw9x2P//Z', 'AADiCQLkHwDhMQa1LwBOPwcgUgkdZwcifwIujQAtlwIgoQBKvwq5ygbi2AbZ6Qyq7QNKBx3BEx/BKR29Oh6ZPhlNSxspXRwkbhkwfQ9MjhBamxRWqhZqxB6m1h685yC5/Ceb9hdGACxTAjBUGDBSKy1ERC80Uy4mYzIjbzBBjj2cmTm+ozi8sDehuzFszS9S3SlO7ixG/jIzAE4pCVAmHU4hK0YnSUlRVENWYUZNakNeiFKglVC6ok+7tFOau0tHz04m5Ugp9Ec2+0hLB2YmEWYiJWgbM2JAUGikXGTGa2q6em2ie11pj2BYn2BXsmhPtmMvz2kr5GUw8WJS/2+iAHVNCnhLHntGMXtkSX+rWYHGaYe9fYqaf3tMkn0unnsnrn40uHxKyX1Z2nlW5XVq/4uuCKHDEqHBI5+7Mp6gOJprSJlUWJVPapNEgZc1kJgpnZopq5pMx6Ch1KHC4KS+8aem8JNnArfCD7rEI7rBNb+dNbVER7giXLgnb7Y0f7BHjK1Sma5TpqtpyLur1bq/4bu487+X9rNIAMFWCMhbGcVVKMdGPc8wS9EkV84naM1Lh9OTnNK6qc69uc+ou8ZozMZO3cNK8clG+8w0BuEtEuYxH+EpLuAyQONIS+NSUt9TY95qje+mn+u8reXAvOefwuVN1Ocp5uEl9uAy++JKC/kpF/wtJvosN/tRUP+dX//Caf/FfP+xffFsk/RVovJVtPdPvfk50f4x5fss8fhK//+i', '6:32 9:50 30:152 31:3 32:33 54:22 56:194 57:43 58:28 60:59 61:29 108:25 285:159 286:124 287:40 294:200 295:124 296:88 321:71 322:152 323:83 393:201 394:188 395:172'],
  ['4:4:4 progressive restarts', 13, 9, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wgARCAAJAA0DAREAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABgf/xAAXAQEBAQEAAAAAAAAAAAAAAAAHBQQG/90ABAAC/9oADAMBAAIQAxAAAAE1ojPecZ//0KCMDtLuLv8A/8QAGRAAAgMBAAAAAAAAAAAAAAAAAQQAAgYy/9oACAEBAAEFAk8mTFMsTT//0EYeP//EAB4RAAIBAwUAAAAAAAAAAAAAAAEFAAIDBBETIzNB/9oACAEDAQE/AUr8DTbmG9AtclU//9BP5FXUZ//EACYRAAADBgUFAAAAAAAAAAAAAAABAwQFERIVMQIyUVKBBiEigsH/2gAIAQIBAT8BebxaVYVheTb2I465eLhF/NKx4qOnJu8iOOmbmw//0GgdYXR9vg//xAAcEAABAwUAAAAAAAAAAAAAAAAAARFRAgMTISP/2gAIAQEABj8CTIjRo52mk//QQpP/xAAWEAEBAQAAAAAAAAAAAAAAAACxAAH/2gAIAQEAAT8hS0LStN//0Kff/9oADAMBAAIAAwAAABCb/9B7/8QAGxEAAQQDAAAAAAAAAAAAAAAAABEhUbEBQcH/2gAIAQMBAT8QdhZdLMcdjVH/0CodP//EABwRAAEEAwEAAAAAAAAAAAAAABEhMUFRAAGBEP/aAAgBAgEBPxCFk2oToOhRt4yTFiNYHQq2s//Qn43/xAAdEAABBAIDAAAAAAAAAAAAAAAAETFRsQFBccHw/9oACAEBAAE/ENCMKpoMoUdhUWP/0Oo8HB//2Q==', 'AADxDgXcJwPpQwDlUAIqbgAphQA0lAMgpgMwvQAm1wAm6AAq/wDnBSDjFSLiLR7rRRrbUSYwaCEdgh4qkiEnrRgrwh0j2xwr7CYj/RjnAEAlE0EnLkEtPz4sU0QjZEEjf0EolEIqp0bju0jl1T/p7Tfi+EovAGcdFGImMF4gQFgmWWkoaGMshGAmm1svq1ztvGHi017j8Vng/GMqA4IrF300MX4wP4MuV3zkZYHkf4Pek37nsX0qv4Il04Mq8Igp+3ktAp4jEp4kKqIdPqkoVJjhZ5/qgKPjkaTmrJ8su6Ar0Z0j66Ag/J0pAMTsEMHzKr/pQ7bvVccpb74vh7wkmLksq8Anv78r178h7MM1/7nkBNveE9/qKeLnRN3jTeIoat4lf+AhjuMtqeMcv90w2Nwj6OAl/d7kAP8pE/8qKv8nQP8oVv8ra/8qgf4mlv8prP/ovv/l1//n6P/j//0s', '17:40 45:46 46:31 47:236 79:63 80:39 309:254 310:223 311:229'],
  ['4:2:0 progressive restart rows', 17, 11, 3, 1, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wgARCAALABEDASIAAhEBAxEB/8QAFwAAAwEAAAAAAAAAAAAAAAAAAAYHCP/EABcBAAMBAAAAAAAAAAAAAAAAAAMFBgf/3QAEAAL/2gAMAwEAAhADEAAAAUFzpDXOJpKaJAav/8QAHBAAAQUAAwAAAAAAAAAAAAAAAAECAwQGBRQW/90ABAAD/9oACAEBAAEFAq+cVSln1U80w//Q42rE8rxtedGA/8QAGxEAAgEFAAAAAAAAAAAAAAAAAAMGAhYhYaH/3QAEAAL/2gAIAQMBAT8Bjcjfikuh2+H/xAAjEQAABQMDBQAAAAAAAAAAAAABAgMRIQAEEgYiMlFTYZHR/9oACAECAQE/Ab/UKySZbsz73aXOLRJx4+MSyED1rG97SftT7X//xAAfEAACAQIHAAAAAAAAAAAAAAAAAREhUQIDEyMxM6L/3QAEAAP/2gAIAQEABj8CWpS1Dby4uc+T/9BzgQpSOtH/xAAdEAABBAIDAAAAAAAAAAAAAAAAAREhsWGR0fDx/9oACAEBAAE/IY53KOWqzpUf/9CWZmJDmwegp//dAAQAAv/aAAwDAQACAAMAAAAQ3y//xAAcEQABAwUAAAAAAAAAAAAAAAABABFxQVFhgZH/2gAIAQMBAT8QNNpo5XZhZ0f/xAAYEQADAQEAAAAAAAAAAAAAAAABETEQIf/aAAgBAgEBPxA7g2DtWUiYvD//xAAfEAABAwMFAAAAAAAAAAAAAAABABFRITGxEEGRwfD/3QAEAAP/2gAIAQEAAT8Q2OYXTgm+za4OjLRH/9CNCVIa8FG4KoDcL3Ha/9k=', 'AAPeCQXiIAHlMge5LgNLPgogUQglZQgnfQMojQMnlgUknwFMvAy3xgfg1gfb6A2x6wRKBx+9FCDAKh3COx6ePxpNSxsnWxsrbRg1fBFHjhFTmxZXqRZuwx+i0x655iC7+yef9hhHAC1PBDBTHDBVLyxHRjAzVS8mYzEoby9Hjj6Xmzu5pji9sTekvDFozC9O3SlQ7itJ/TI1AU8nC08mHU0jLEQqSklPVUJWYERTakJkiFKdllK1o1C8tFKbuU1Dzk0j40gq80c5+0hMBmciDmggImkdMWJCT2mkWWXHZmu/dm2keF5njGJUm2JXrWpQtGUtyWoo32Yv72NU/2+kAHZJCHhIHnpHMHtmRn+qVoHFZ4fAeoudfnxLj38qnH4oq380tX5Ixn5W1HpX4nZs/4muC6DAFaC/Jp27NZyhOpdrSpdTWpNPa5FEgpcylJgpn5knr5lNx5+f1Z/B4aK/8qaq8JNnBba+ErnCJrnBOr2eOLJDSrYiXrUocbQzgK9Fj6xPnK1RqKtoyrqr1rm+4rq687+Y9bJHAMRWCMpaGcpYJcZFPtI0R88jVdAoZ85JhtWUmNO3qdO/s86juchpxcVL2sZN78pI+s00BuQtEecvIeUsKt8wQudNSOFTU+JVYd5ojPCnney8rerAt+iZwehNz+Ym4+Il8+I0+uJMD/koGPoqK/stOPdPU/+jXv/EbP/Ff/+wgfBulfNXpvRStPdIwPk60fow5/ou8/dL//+j', '282:144 283:128 284:43 399:225 400:185 401:185'],
  ['4:2:0 three scans', 17, 11, 3, 1, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAALABEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABwb/xAAwEAAAAwUEBgsAAAAAAAAAAAABAxEAAgQFEwYIElEHFSExMoEWGCIjM1NVkZKk0f/aAAgBAQAAPwAEs7dxPNpaydoJ4fdA8ufDyZmsVd8PNTVsuoIlTaDy5cXNrLq1wXnfXeZd0bWUlMbUrQJb+HCm0QTfkLK9npfDRok1iC38O7sgCezLvQaRenF/J79b/8QAFQEBAQAAAAAAAAAAAAAAAAAABAf/xAAkEQAABQMCBwAAAAAAAAAAAAABAgMEEgAFEwciESMxUlSS0v/aAAgBAhEAPwCdX/UN40bJXZQThnlEQPJc0BiM1jBy+HQuJPeTYfuoOO9eK293P3X/xAAVAQEBAAAAAAAAAAAAAAAAAAAGCP/EACERAAAFAgcAAAAAAAAAAAAAAAABAgQHUXEDERdBgZGi/9oACAEDEQA/AB0bSM/M0YdMrdb8nYVbqi9qryP/2Q==', 'AAPeCQXiIAHlMge5LgNLPgogUQglZQgnfQMojQMnlgUknwFMvAy3xgfg1gfb6A2x6wRKBx+9FCDAKh3COx6ePxpNSxsnWxsrbRg1fBFHjhFTmxZXqRZuwx+i0x655iC7+yef9hhHAC1PBDBTHDBVLyxHRjAzVS8mYzEoby9Hjj6Xmzu5pji9sTekvDFozC9O3SlQ7itJ/TI1AU8nC08mHU0jLEQqSklPVUJWYERTakJkiFKdllK1o1C8tFKbuU1Dzk0j40gq80c5+0hMBmciDmggImkdMWJCT2mkWWXHZmu/dm2keF5njGJUm2JXrWpQtGUtyWoo32Yv72NU/2+kAHZJCHhIHnpHMHtmRn+qVoHFZ4fAeoudfnxLj38qnH4oq380tX5Ixn5W1HpX4nZs/4muC6DAFaC/Jp27NZyhOpdrSpdTWpNPa5FEgpcylJgpn5knr5lNx5+f1Z/B4aK/8qaq8JNnBba+ErnCJrnBOr2eOLJDSrYiXrUocbQzgK9Fj6xPnK1RqKtoyrqr1rm+4rq687+Y9bJHAMRWCMpaGcpYJcZFPtI0R88jVdAoZ85JhtWUmNO3qdO/s86juchpxcVL2sZN78pI+s00BuQtEecvIeUsKt8wQudNSOFTU+JVYd5ojPCnney8rerAt+iZwehNz+Ym4+Il8+I0+uJMD/koGPoqK/stOPdPU/+jXv/EbP/Ff/+wgfBulfNXpvRStPdIwPk60fow5/ou8/dL//+j', '282:144 283:128 284:43 399:225 400:185 401:185'],
  ['4:2:0 spectral selection', 17, 11, 3, 1, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wgARCAALABEDASIAAhEBAxEB/8QAFwAAAwEAAAAAAAAAAAAAAAAAAAcICf/EABcBAAMBAAAAAAAAAAAAAAAAAAQGBwj/2gAMAwEAAhADEAAAAEI5qPa86TpLNEQHVv8A/8QAHRAAAQQCAwAAAAAAAAAAAAAAAAMEBQYBCAcWGP/aAAgBAQABBQCu64rqlK18XVPNbI42qkS9K9HtnuejQR//xAAhEQAABQIHAAAAAAAAAAAAAAAAAQIEB1FxAxEXQYGRov/aAAgBAwEBPwCNpGfmaMOmVut+TsNUXtVeR//EACQRAAAFAwIHAAAAAAAAAAAAAAECAwQSAAUTByIRIzFSVJLS/9oACAECAQE/AL/qG8aNkrsoJwzyiIHkuaAxGaxg5fDoXEnvJsP3VjvXitvdz91//8QAKhAAAAQCCAYDAAAAAAAAAAAAAQIDEQATEhUhMTIzUYEEBSIjNZGSpNH/2gAIAQEABj8ASrIshsvtAZ9cO0BVvLpDNMtAz6Yt4zvrmhSdwKZ6NFrRBr9BhGcgmejd0gDeo8cn8jfsf//Z', 'AAPeCQXiIAHlMge5LgNLPgogUQglZQgnfQMojQMnlgUknwFMvAy3xgfg1gfb6A2x6wRKBx+9FCDAKh3COx6ePxpNSxsnWxsrbRg1fBFHjhFTmxZXqRZuwx+i0x655iC7+yef9hhHAC1PBDBTHDBVLyxHRjAzVS8mYzEoby9Hjj6Xmzu5pji9sTekvDFozC9O3SlQ7itJ/TI1AU8nC08mHU0jLEQqSklPVUJWYERTakJkiFKdllK1o1C8tFKbuU1Dzk0j40gq80c5+0hMBmciDmggImkdMWJCT2mkWWXHZmu/dm2keF5njGJUm2JXrWpQtGUtyWoo32Yv72NU/2+kAHZJCHhIHnpHMHtmRn+qVoHFZ4fAeoudfnxLj38qnH4oq380tX5Ixn5W1HpX4nZs/4muC6DAFaC/Jp27NZyhOpdrSpdTWpNPa5FEgpcylJgpn5knr5lNx5+f1Z/B4aK/8qaq8JNnBba+ErnCJrnBOr2eOLJDSrYiXrUocbQzgK9Fj6xPnK1RqKtoyrqr1rm+4rq687+Y9bJHAMRWCMpaGcpYJcZFPtI0R88jVdAoZ85JhtWUmNO3qdO/s86juchpxcVL2sZN78pI+s00BuQtEecvIeUsKt8wQudNSOFTU+JVYd5ojPCnney8rerAt+iZwehNz+Ym4+Il8+I0+uJMD/koGPoqK/stOPdPU/+jXv/EbP/Ff/+wgfBulfNXpvRStPdIwPk60fow5/ou8/dL//+j', '282:144 283:128 284:43 399:225 400:185 401:185'],
  ['4:2:0 16-bit tables', 17, 11, 3, 2, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wCDEAGQARMBLAFeASwA+gGQAV4BRQFeAcIBqQGQAdsCWAPoAooCWAImAiYCWATJA2sDnQLVA+gFqgT7BfUF3AWRBPsFeAVfBkAHCAj8B54GQAakCH8GvQVfBXgH0AqlB+kIfwlHCZIKDwooCg8GDgeFCwkL0QrwCcQLuAj8Cd0KDwmr/9sAgxEBqQHCAcICWAINAlgElwKKAooElwmrBnIFeAZyCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJqwmrCasJq//BABEIAAsAEQMBIgACEQEDEQH/xAAWAAEBAQAAAAAAAAAAAAAAAAABAAL/xAAWEAEBAQAAAAAAAAAAAAAAAAAAEQH/xAAVAQEBAAAAAAAAAAAAAAAAAAAAAf/EABYRAQEBAAAAAAAAAAAAAAAAAAABEf/aAAwDAQACEQMRAD8AIYcJpKzE0kXX/9k=', 'GgCkHgCkJwCkMgCkQwCkUwCkaQCkfgCkxQDW2gDW7QDW+ADW/QDW/gDW/gDW/gCc/gApHgqnIginKgSnNgCnRgCnVwCnbACngQCnyADZ3QDZ8QDZ/gDZ/wDZ/wDZ/wDZ/wCg/wEvJCCrKR6rMRmrPBSrTQurXgKrcwCriACrzxTd5Ard+ADd/wDd/wDd/wDd/wDd/wCm/xM8LDuwLzquOTWwRC+uUyewZh6ueRSwjgqu1zDi6ibg/xvi/xTg/w3i/wrg/wji/xOv/ytKMVuxNFqvPVSxSU+vWEexaj6vfjSxkymv20/j70bh/zvj/zLh/yvj/ybh/yLj/y21/0ZaMnytNnmtPnWtSW+tWWita16tgFStlEqt3HDf8WXf/1vf/1Pf/0rf/0Xf/0Df/0q2/2NoLZmjMZejOJSjRY2jVIWjZX2jenKjj2ej147V64TV/3nV/3HV/2jV/2LV/17V/2ez/31wILGQJK+QK6yQOKWQR52QWJWQbYqQgn+QyqbC3pzC85HC/4jC/4DC/3rC/3bC/32o/5FxCcJ0Fsh8K9GJSN2bauetjvC/sPLMzPDU5OfW+dzW/9HW/8nW/8HW/7rW/7fW/73C/82aANJZAdhhFuFuM+2AVvaSef+km/+xt/+5z/e75Oy7+eG7/9m7/9G7/8q7/8e7/8yt/9mUAOFAAOdIAu9VIPxnQv95Zf+Lhv+Yo/+gu/+iz/ui5PGi9uei/+Ci/9qi/9ai/9mb/+WN', '306:43 307:154 309:48 310:152 357:30 358:178 360:35 361:176 451:182 502:198 559:228'],
  ['grey', 13, 9, 1, 0, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCAAJAA0BAREA/8QAFgABAQEAAAAAAAAAAAAAAAAACAcJ/8QAKRAAAQMCBAMJAAAAAAAAAAAAAgEDBAUSAAYHFBETIhUhMTI2dHWzxP/aAAgBAQAAPwCZRdAZTnZdOzhVpGUITu3agptUeSW2vMvKyOaqwQooL3Aq8o+Il034UmkWl1Rp9FEskU2ZklwoscJsWmS92jqIhK2RI6TYgnU5baKKo23J5SI46M+GUPhT/NjUfSr0LRfZMfWmP//Z', 'DVJdYWovOj4IRlVe3llYayc1PUcETWFaJKomK205QEUHWpeg7q97JnBCREARXV2n8qy4h3xDPUfenKCqLnOHi8M+TU4apKGq936AiM2Yj47boWZ1OX6El9KY5pfipK51O4SIkdOcqe0haXF5PoaOlJnh6e/4', ''],
  ['grey progressive', 17, 11, 1, 1, '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wgALCAALABEBAREA/8QAFwAAAwEAAAAAAAAAAAAAAAAAAwYHBP/aAAgBAQAAAAFMbTZqZTf/xAAaEAACAwEBAAAAAAAAAAAAAAACAwAEBRQW/9oACAEBAAEFAgySWeYlz2+aqzAoosSuZWS4lT//xAAoEAABAQQIBwAAAAAAAAAAAAACAQADESEEEhMUMUGB0SIyQkRRkpP/2gAIAQEABj8CcpSzuwys0IKyFjOA4ZZYMlxdXeY2qqdohFrq3b+i7NSK4chu3YwWEEWEWdE9WuquyOfnibr+hbt//8QAHhAAAgICAgMAAAAAAAAAAAAAASERMQBBEFFhcbH/2gAIAQEAAT8hrruCvYMGt7YkXE8IwhcTMgV5BIwVZywlMCKv50MK4MGpFCRWuLP/2gAIAQEAAAAQU//EABsQAQEBAQEAAwAAAAAAAAAAAAERITEAEGGB/9oACAEBAAE/EKp2eqBU3TFBRwKqehfDUDCnDbG+B9Hn/aro9c1Wm5rgKsH06+qcWm8bX4y//9k=', 'EE5YYWApLjN5OkRJzpWVniFQXWQhLy46ej1GRRKQlajiax0nZCk/OXhBjYvalGNkJnVzK2U1NTkBS1KN0pamZjFxcnxsODlAxYuPjSFaaWkvaoB9hDo5RQmPk5HpXWZwK3iDgsjOg4XKi11XJl9xcTB+wch+05WEz5qWXChocHI5fITIjtfYng9ZXWIlbHB5/rnOytKUop3nWGBkInZydkDEy8mRm56o7K1mYyp2s7+Gw42Q2qCop+a0+Q==', '7:52 8:120 118:148 131:199 152:230 183:168 186:248'],
  ['RGB (Adobe)', 13, 9, 3, 0, '/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwADAgIDAgIDAwMDBAMDBAUIBQUEBAUKBwcGCAwKDAwLCgsLDQ4SEA0OEQ4LCxAWEBETFBUVFQwPFxgWFBgSFBUU/8AAEQgACQANA1IRAEcRAEIRAP/EABcAAAMBAAAAAAAAAAAAAAAAAAAICQb/xAAzEAAAAgUEEgMAAAAAAAAAAAAAEgECBgcUAwQWMQUICRMVGBkiJTM0NkRlgYKjsUeFxP/aAAwDUgBHAEIAAD8AXC094HoMnk3eVeMZJ6zGt212C8Z94tAYe+0d0HIWSizEitgSghCzbWVnzalhZtxe56nb6SDJu8q8YHUtk3bXYUxYHdUBh71SLTkhZKLMeF29CCELOdXWfOqVEZLT3gegr+FBFm3F7nqdvpIA/wBdWPi77T8g/9k=', 'AADlFADqKwDlQADmVQAoaQApgQAklQApqQApvwAp1QAo6QAm/wDpACDmFCDlKyDkQCDrVSAkaSArgSAqlSApqSAovyAl1SAn6SAq/yDhAEEoFEEmK0EpQEEqVUEkaUEmgUEplUEmqUHnv0Hl1UHo6UHr/0ElAF8rFF8nK18nQF8jVV8uaV8pgV8plV8mqV/mv1/m1V/k6V/g/18rAIAmFIAmK4AnQIArVYDgaYDkgYDmlYDmqYAmv4Ap1YAp6YAu/4AjAJ4pFJ4sK54pQJ4lVZ7raZ7ogZ7llZ7nqZ4mv54p1Z4m6Z4k/54qAL/jFL/mK7/kQL/hVb8qab8ngb8llb8oqb8pv78q1b8r6b8k/7/rAN/mFN/mK9/nQN/pVd8mad8ogd8pld8pqd8pv98k1d8p6d8o/9/mAP8oFP8oK/8oQP8oVf8oaf8ogf8olf8oqf/mv//m1f/n6f/l//8p', ''],
];
/** Files only refused: arithmetic coding (cjpeg -arithmetic), CMYK (convert -colorspace CMYK). */
const REFUSED = {
  arithmetic: '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/yQARCAAIAAgDASIAAhEBAxEB/8wACgAQEAUBEBEF/9oADAMBAAIRAxEAPwDulIQJC634lfyMLW2aqi+/c6Q5dU59zL7wCOTFQPKlbSCwSuoLNRGWPDz3CLW8jVc4UXD/2Q==',
  cmyk: '/9j/7gAOQWRvYmUAZAAAAAAC/9sAQwADAgICAgIDAgICAwMDAwQGBAQEBAQIBgYFBgkICgoJCAkJCgwPDAoLDgsJCQ0RDQ4PEBAREAoMEhMSEBMPEBAQ/9sAQwEDAwMEAwQIBAQIEAsJCxAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ/8AAFAgACAAIBAERAAIRAQMRAQQRAP/EABUAAQEAAAAAAAAAAAAAAAAAAAYI/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/EABQBAQAAAAAAAAAAAAAAAAAAAAj/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADgQBAAIRAxEEAAA/AA4vlAqt/9k=',
};

const bytesOf = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** The largest difference, in levels of 255, between a decoded image and 8-bit reference pixels. */
function maxDiff(data: Float32Array, ref: Uint8Array): number {
  assert.equal(data.length, ref.length);
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(Math.round(data[i] * 255) - ref[i]));
  return max;
}

/** Where each segment of a JPEG (up to its first scan) starts: its marker's second byte and its FF's offset. */
function segments(jpeg: Uint8Array): { marker: number; at: number; length: number }[] {
  const out: { marker: number; at: number; length: number }[] = [];
  let p = 2;
  while (p + 4 <= jpeg.length && jpeg[p] === 0xff) {
    const marker = jpeg[p + 1];
    const length = (jpeg[p + 2] << 8) | jpeg[p + 3];
    out.push({ marker, at: p, length });
    if (marker === 0xda) break;
    p += 2 + length;
  }
  return out;
}

/** A copy of `jpeg` with an APP1 EXIF segment saying `orientation` just after SOI (big- or little-endian TIFF). */
function withOrientation(jpeg: Uint8Array, orientation: number, little: boolean): Uint8Array {
  const app1 = Buffer.alloc(36);
  app1.write('\xff\xe1', 0, 'latin1');
  app1.writeUInt16BE(34, 2);
  app1.write('Exif\0\0', 4, 'latin1');
  const t = 10;
  app1.write(little ? 'II' : 'MM', t, 'latin1');
  const u16 = (v: number, at: number) => (little ? app1.writeUInt16LE(v, t + at) : app1.writeUInt16BE(v, t + at));
  const u32 = (v: number, at: number) => (little ? app1.writeUInt32LE(v, t + at) : app1.writeUInt32BE(v, t + at));
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry:
  u16(0x0112, 10); // Orientation,
  u16(3, 12); // SHORT,
  u32(1, 14); // one of them,
  u16(orientation, 18);
  return new Uint8Array(Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]));
}

/** A copy of `jpeg` with its quantization tables rewritten at 16-bit precision (the same values). */
function withWideTables(jpeg: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)];
  let p = 2;
  for (const s of segments(jpeg)) {
    parts.push(jpeg.subarray(p, s.at));
    p = s.at + 2 + s.length;
    if (s.marker !== 0xdb) {
      parts.push(jpeg.subarray(s.at, p));
      continue;
    }
    const body: number[] = [];
    for (let i = s.at + 4; i < p; i += 65) {
      body.push(0x10 | (jpeg[i] & 15));
      for (let k = 0; k < 64; k++) body.push(0, jpeg[i + 1 + k]);
    }
    parts.push(new Uint8Array([0xff, 0xdb, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]));
  }
  parts.push(jpeg.subarray(p));
  return new Uint8Array(Buffer.concat(parts));
}

function fixture(name: string): Uint8Array {
  if (name in REFUSED) return bytesOf(REFUSED[name as keyof typeof REFUSED]);
  const f = FIXTURES.find((x) => x[0] === name);
  assert.ok(f, name);
  return bytesOf(f[5]);
}

/**
 * A copy of `jpeg` with the marker of its frame header (SOF) made `marker` (unless null) and bytes
 * of the header changed: `[offset, value]`, offsets from its first field (0 precision, 1-2 height,
 * 3-4 width, 5 components).
 */
function patchFrame(jpeg: Uint8Array, marker: number | null, ...changes: [number, number][]): Uint8Array {
  const out = jpeg.slice();
  const sof = segments(jpeg).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  assert.ok(sof);
  if (marker !== null) out[sof.at + 1] = marker;
  for (const [offset, value] of changes) out[sof.at + 4 + offset] = value;
  return out;
}

function throwsData(fn: () => unknown, name: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `${String(e)} is not a DataError`);
    assert.ok(e.message.startsWith(`${name}: `), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('isJpeg looks for FF D8 FF', () => {
  assert.equal(isJpeg(fixture('4:2:0')), true);
  assert.equal(isJpeg(new Uint8Array([0xff, 0xd8])), false);
  assert.equal(isJpeg(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])), false);
  assert.equal(isJpeg(new Uint8Array(0)), false);
});

for (const [name, width, height, channels, tolerance, jpeg, pixels, floatIdct] of FIXTURES) {
  test(`decodeJpeg: ${name}, ${width}x${height}, within ${tolerance}/255 of ImageMagick, as libjpeg-turbo's float IDCT`, () => {
    const img = decodeJpeg(bytesOf(jpeg), `${name}.jpg`);
    assert.deepEqual([img.width, img.height, img.channels], [width, height, channels]);
    assert.ok(img.data.every((v) => v >= 0 && v <= 1));
    const ref = bytesOf(pixels);
    const d = maxDiff(img.data, ref);
    assert.ok(d <= tolerance, `${name}: differs by up to ${d}/255`);
    for (const change of floatIdct.split(' ').filter(Boolean)) {
      const [i, v] = change.split(':').map(Number);
      ref[i] = v;
    }
    assert.equal(maxDiff(img.data, ref), 0, `${name}: not libjpeg-turbo's float-IDCT pixels`);
  });
}

test('decodeJpeg: one picture coded sequentially, progressively, with restarts, in separate scans, decodes alike', () => {
  // The same quantized coefficients however they are coded: the same pixels.
  assert.deepEqual(Array.from(decodeJpeg(fixture('4:2:0 progressive')).data), Array.from(decodeJpeg(fixture('4:2:0')).data));
  const a = Array.from(decodeJpeg(fixture('4:2:0 restarts')).data);
  for (const name of ['4:2:0 progressive restart rows', '4:2:0 three scans', '4:2:0 spectral selection']) assert.deepEqual(Array.from(decodeJpeg(fixture(name)).data), a, name);
});

test('decodeJpeg reads 16-bit quantization tables', () => {
  for (const name of ['4:4:4', 'grey progressive', '4:2:0 restarts']) {
    const jpeg = fixture(name);
    const wide = withWideTables(jpeg);
    assert.ok(segments(wide).some((s) => s.marker === 0xdb && (wide[s.at + 4] & 0xf0) === 0x10));
    assert.deepEqual(Array.from(decodeJpeg(wide).data), Array.from(decodeJpeg(jpeg).data), name);
  }
});

/*
 * A 7x5 picture (convert -quality 90 -sampling-factor 1x1), and ImageMagick's upright pixels of it
 * with each EXIF orientation: convert oN.jpg -auto-orient -depth 8 ppm:-
 */
const ORIENTED: readonly [orientation: number, width: number, height: number, pixels: string][] = [
  [1, 7, 5, 'AAMnKwAdUwAnggAqqgAf0wEm/wA1AD8kLT0yU0AxfDkpr0Mmzz4f/z4lAIEmLYAuTYUkc4Ams3/k0X7q+4HmArwqMLsqTsAjfMIstbnc27/o/8HqAP/dK//xUf76hf3hof8uzf8Z+/8o'],
  [2, 7, 5, '/wA10wEmqgAfggAqUwAnKwAdAAMn/z4lzz4fr0MmfDkpU0AxLT0yAD8k+4Hm0X7qs3/kc4AmTYUkLYAuAIEm/8Hq27/otbncfMIsTsAjMLsqArwq+/8ozf8Zof8uhf3hUf76K//xAP/d'],
  [3, 7, 5, '+/8ozf8Zof8uhf3hUf76K//xAP/d/8Hq27/otbncfMIsTsAjMLsqArwq+4Hm0X7qs3/kc4AmTYUkLYAuAIEm/z4lzz4fr0MmfDkpU0AxLT0yAD8k/wA10wEmqgAfggAqUwAnKwAdAAMn'],
  [4, 7, 5, 'AP/dK//xUf76hf3hof8uzf8Z+/8oArwqMLsqTsAjfMIstbnc27/o/8HqAIEmLYAuTYUkc4Ams3/k0X7q+4HmAD8kLT0yU0AxfDkpr0Mmzz4f/z4lAAMnKwAdUwAnggAqqgAf0wEm/wA1'],
  [5, 5, 7, 'AAMnAD8kAIEmArwqAP/dKwAdLT0yLYAuMLsqK//xUwAnU0AxTYUkTsAjUf76ggAqfDkpc4AmfMIshf3hqgAfr0Mms3/ktbncof8u0wEmzz4f0X7q27/ozf8Z/wA1/z4l+4Hm/8Hq+/8o'],
  [6, 5, 7, 'AP/dArwqAIEmAD8kAAMnK//xMLsqLYAuLT0yKwAdUf76TsAjTYUkU0AxUwAnhf3hfMIsc4AmfDkpggAqof8utbncs3/kr0MmqgAfzf8Z27/o0X7qzz4f0wEm+/8o/8Hq+4Hm/z4l/wA1'],
  [7, 5, 7, '+/8o/8Hq+4Hm/z4l/wA1zf8Z27/o0X7qzz4f0wEmof8utbncs3/kr0MmqgAfhf3hfMIsc4AmfDkpggAqUf76TsAjTYUkU0AxUwAnK//xMLsqLYAuLT0yKwAdAP/dArwqAIEmAD8kAAMn'],
  [8, 5, 7, '/wA1/z4l+4Hm/8Hq+/8o0wEmzz4f0X7q27/ozf8ZqgAfr0Mms3/ktbncof8uggAqfDkpc4AmfMIshf3hUwAnU0AxTYUkTsAjUf76KwAdLT0yLYAuMLsqK//xAAMnAD8kAIEmArwqAP/d'],
];
const ORIENTATION_BASE =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAFAAcDAREAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAAB//EACMQAAEBBQkAAAAAAAAAAAAAABEBAAIDEhMEBQYHCBQjYaH/xAAVAQEBAAAAAAAAAAAAAAAAAAAFB//EACcRAAEDAQQLAAAAAAAAAAAAABEBAhIDAAUGBwQTFBUiMTJBUWFx/9oADAMBAAIRAxEAPwBRyd0R4Auizwq0Dd1HFHHJKE6VST404xpfa4NczeFPa9aRxOpQiD0q6UpJzAHuwWUOZ196RRSDohPJ7fLf/9k=';

test('decodeJpeg applies the EXIF orientation (1 to 8), as ImageMagick -auto-orient does', () => {
  const base = bytesOf(ORIENTATION_BASE);
  const plain = decodeJpeg(base);
  const sorted = (a: Float32Array) => Array.from(a).sort((x, y) => x - y);
  for (const [o, width, height, pixels] of ORIENTED) {
    for (const little of [false, true]) {
      const img = decodeJpeg(withOrientation(base, o, little), `o${o}.jpg`);
      assert.deepEqual([img.width, img.height, img.channels], [width, height, 3], `orientation ${o}`);
      // Within the IDCT's rounding of ImageMagick's (as the 4:4:4 fixture), and the same samples, moved.
      const d = maxDiff(img.data, bytesOf(pixels));
      assert.ok(d <= 2, `orientation ${o}: differs by up to ${d}/255`);
      assert.deepEqual(sorted(img.data), sorted(plain.data));
    }
  }
  // An orientation out of range, or an EXIF block that is not TIFF, is ignored.
  assert.deepEqual(Array.from(decodeJpeg(withOrientation(base, 9, false)).data), Array.from(plain.data));
  const broken = withOrientation(base, 6, false);
  broken[2 + 10] = 0x41; // 'AM', not 'MM'
  assert.deepEqual(Array.from(decodeJpeg(broken).data), Array.from(plain.data));
});

test('decodeJpeg refuses what is not a JPEG, naming the file', () => {
  throwsData(() => decodeJpeg(new Uint8Array(0), 'empty.jpg'), 'empty.jpg', /not a JPEG file/);
  throwsData(() => decodeJpeg(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0]), 'x.jpg'), 'x.jpg', /not a JPEG file/);
  throwsData(() => decodeJpeg(new TextEncoder().encode('hello, world'), 'hello.jpg'), 'hello.jpg', /not a JPEG file/);
});

test('decodeJpeg refuses arithmetic coding, lossless, hierarchical, 12-bit and CMYK JPEG clearly', () => {
  const jpeg = fixture('4:2:0');
  throwsData(() => decodeJpeg(fixture('arithmetic'), 'arith.jpg'), 'arith.jpg', /^arith\.jpg: arithmetic-coded JPEG is not supported; convert it to PNG or baseline JPEG \(ImageMagick: convert IN\.jpg OUT\.png\)$/);
  for (const m of [0xc9, 0xca, 0xcd]) throwsData(() => decodeJpeg(patchFrame(jpeg, m), 'a.jpg'), 'a.jpg', /arithmetic-coded JPEG is not supported; convert it to PNG/);
  throwsData(() => decodeJpeg(patchFrame(jpeg, 0xc3), 'l.jpg'), 'l.jpg', /lossless JPEG is not supported/);
  for (const m of [0xc5, 0xc6, 0xc7]) throwsData(() => decodeJpeg(patchFrame(jpeg, m), 'h.jpg'), 'h.jpg', /hierarchical JPEG is not supported/);
  // DAC (arithmetic conditioning) before the frame.
  const dac = new Uint8Array(Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xcc, 0, 4, 0x00, 0x10]), jpeg.subarray(2)]));
  throwsData(() => decodeJpeg(dac, 'dac.jpg'), 'dac.jpg', /arithmetic-coded JPEG is not supported/);
  throwsData(() => decodeJpeg(patchFrame(jpeg, null, [0, 12]), 'deep.jpg'), 'deep.jpg', /12-bit JPEG is not supported/);
  throwsData(() => decodeJpeg(patchFrame(jpeg, null, [1, 0], [2, 0]), 'dnl.jpg'), 'dnl.jpg', /height is given by a DNL marker/);
  throwsData(() => decodeJpeg(fixture('cmyk'), 'cmyk.jpg'), 'cmyk.jpg', /CMYK \(four-component\) JPEG is not supported/);
});

test('decodeJpeg: every truncation is a DataError saying the data are truncated', () => {
  for (const name of ['4:2:0', '4:2:0 progressive', '4:4:4 progressive restarts', 'grey']) {
    const jpeg = fixture(name);
    for (let cut = 0; cut < jpeg.length; cut++) {
      throwsData(() => decodeJpeg(jpeg.subarray(0, cut), 'cut.jpg'), 'cut.jpg', cut < 3 ? /not a JPEG file/ : /truncated JPEG data/);
    }
  }
});

test('decodeJpeg: corrupt bytes give a DataError or an image, never another error', () => {
  const rng = new Rng(11);
  const names = ['4:2:0', '4:2:2', '4:1:1', '4:2:0 restarts', '4:2:0 progressive', '4:4:4 progressive restarts', 'grey progressive', 'RGB (Adobe)'];
  let failures = 0;
  let images = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const jpeg = fixture(names[trial % names.length]).slice();
    // Not the frame's size bytes: a huge declared size on a tiny file only makes the test slow.
    const sof = segments(jpeg).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2)!;
    const changes = 1 + Math.floor(rng.next() * 4);
    for (let k = 0; k < changes; k++) {
      const at = Math.floor(rng.next() * jpeg.length);
      if (at >= sof.at + 5 && at < sof.at + 9) continue;
      jpeg[at] = rng.next() < 0.3 ? 0xff : Math.floor(rng.next() * 256);
    }
    try {
      const img = decodeJpeg(jpeg, 'bad.jpg');
      assert.equal(img.data.length, img.width * img.height * img.channels);
      images++;
    } catch (e) {
      assert.ok(e instanceof DataError, `trial ${trial}: ${String(e)}`);
      assert.ok(e.message.startsWith('bad.jpg: '), e.message);
      assert.doesNotMatch(e.message, /the decoder failed/, `trial ${trial}`);
      failures++;
    }
  }
  assert.ok(failures > 0 && images > 0);
});

test('readJpeg reads a file, and names a missing one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-jpeg-'));
  try {
    const path = join(dir, 'photo.jpg');
    writeFileSync(path, fixture('grey'));
    const img = readJpeg(path);
    assert.deepEqual([img.width, img.height, img.channels], [13, 9, 1]);
    throwsData(() => readJpeg(join(dir, 'none.jpg')), join(dir, 'none.jpg'), /no such file/);
    writeFileSync(path, fixture('grey').subarray(0, fixture('grey').length - 10));
    throwsData(() => readJpeg(path), path, /truncated JPEG data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
