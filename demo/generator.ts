/**
 * Synthetic card payments with known fraud planted in them, so the demo can measure precision
 * and recall against ground truth. Deterministic for a seed.
 *
 * Normal traffic: each card shops near home at its own typical amount; cards are picked at
 * random, so a card pays every (cards / rate) seconds on average. The model is trained at the
 * live run's pace, so what counts as a burst is relative to that.
 * Fraud patterns (each event of an episode is labelled):
 * - velocity: a burst of 12-20 small payments at different merchants, about a second apart;
 * - travel: a payment from a city thousands of km away minutes after one at home;
 * - spike: one payment 10-40x the card's typical amount at an unusual merchant.
 */
import { seededRandom } from '../functions/control-plane.ts';

export type FraudPattern = 'velocity' | 'travel' | 'spike';

/** The acme-payments `events` record (tenants/acme-payments.yaml). */
export interface CardAuthorization {
  eventId: string;
  cardId: string;
  cardNumber: string;
  holderName: string;
  amount: number;
  currency: string;
  merchantId: string;
  merchantCategory: string;
  lat: number | null;
  lon: number | null;
  channel: 'POS' | 'ECOM' | 'ATM' | 'MOTO';
  timestamp: number;
}

export interface LabelledPayment {
  event: CardAuthorization;
  fraud: FraudPattern | null;
}

const CITIES: ReadonlyArray<readonly [string, number, number]> = [
  ['Paris', 48.8566, 2.3522],
  ['Berlin', 52.52, 13.405],
  ['Madrid', 40.4168, -3.7038],
  ['New York', 40.7128, -74.006],
  ['Chicago', 41.8781, -87.6298],
  ['Sao Paulo', -23.5505, -46.6333],
  ['Tokyo', 35.6762, 139.6503],
  ['Sydney', -33.8688, 151.2093],
  ['Lagos', 6.5244, 3.3792],
  ['Mumbai', 19.076, 72.8777],
];
const MCC = ['5411', '5812', '5999', '4111', '5541', '5732', '7011', '5311'];
const FIRST = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Radia', 'Edsger'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Perlman', 'Dijkstra'];

interface Card {
  id: string;
  number: string;
  holder: string;
  home: number;
  typical: number;
}

interface Pending {
  at: number;
  payment: LabelledPayment;
}

export interface GeneratorOptions {
  /** @default 1 */
  seed?: number;
  /** @default 1000 */
  cards?: number;
  /** Share of events that start a fraud episode. @default 0.01 */
  fraudRate?: number;
  /** Prefix of card ids (same seed, same cards, other ids). @default 'card-' */
  idPrefix?: string;
  /** Prefix of event ids: runs sharing a namespace keep their decisions apart. @default 'ev-' */
  eventIdPrefix?: string;
}

export class PaymentGenerator {
  readonly #rand: () => number;
  readonly #cards: Card[];
  readonly #fraudRate: number;
  /** Fraud episode events scheduled for later, in time order. */
  #pending: Pending[] = [];
  #seq = 0;
  readonly #eventIdPrefix: string;

  constructor(options: GeneratorOptions = {}) {
    this.#rand = seededRandom(options.seed ?? 1);
    this.#fraudRate = options.fraudRate ?? 0.01;
    this.#eventIdPrefix = options.eventIdPrefix ?? 'ev-';
    const n = options.cards ?? 1000;
    this.#cards = Array.from({ length: n }, (_, i) => ({
      id: `${options.idPrefix ?? 'card-'}${String(i).padStart(6, '0')}`,
      number: `411111${String(100000 + Math.floor(this.#rand() * 899999))}${String(i % 10000).padStart(4, '0')}`,
      holder: `${this.#pick(FIRST)} ${this.#pick(LAST)}`,
      home: Math.floor(this.#rand() * CITIES.length),
      // Log-normal typical amounts: most cards spend tens, a few spend hundreds.
      typical: Math.round(Math.exp(2.5 + this.#rand() * 2) * 100) / 100,
    }));
  }

  /** A uniform draw in [0, 1) from this generator's stream (for seeded sampling around it). */
  uniform(): number {
    return this.#rand();
  }

  /** The next payment at wall time `nowMs` (a fraud episode's later events come out in order). */
  next(nowMs: number): LabelledPayment {
    const due = this.#pending[0];
    if (due !== undefined && due.at <= nowMs) {
      this.#pending.shift();
      return { ...due.payment, event: { ...due.payment.event, timestamp: nowMs } };
    }
    const card = this.#pick(this.#cards);
    if (this.#rand() < this.#fraudRate) return this.#startFraud(card, nowMs);
    return { event: this.#payment(card, nowMs, this.#jitter(card.typical, 0.5), card.home), fraud: null };
  }

  #startFraud(card: Card, now: number): LabelledPayment {
    const r = this.#rand();
    if (r < 0.4) {
      // velocity: the first payment now, the rest over the next minutes
      const n = 12 + Math.floor(this.#rand() * 9);
      for (let i = 1; i < n; i++) {
        const at = now + i * (500 + this.#rand() * 1_000);
        this.#schedule(at, { event: this.#payment(card, at, this.#jitter(card.typical * 0.6, 0.3), card.home), fraud: 'velocity' });
      }
      return { event: this.#payment(card, now, this.#jitter(card.typical * 0.6, 0.3), card.home), fraud: 'velocity' };
    }
    if (r < 0.7) {
      // travel: a normal payment at home now (legitimate), then one far away minutes later
      const far = (card.home + 3 + Math.floor(this.#rand() * (CITIES.length - 3))) % CITIES.length;
      const at = now + 60_000 + this.#rand() * 300_000;
      this.#schedule(at, { event: this.#payment(card, at, this.#jitter(card.typical * 2, 0.5), far), fraud: 'travel' });
      return { event: this.#payment(card, now, this.#jitter(card.typical, 0.5), card.home), fraud: null };
    }
    return { event: this.#payment(card, now, Math.round(card.typical * (10 + this.#rand() * 30) * 100) / 100, card.home), fraud: 'spike' };
  }

  #schedule(at: number, payment: LabelledPayment): void {
    this.#pending.push({ at, payment });
    this.#pending.sort((a, b) => a.at - b.at);
  }

  #payment(card: Card, at: number, amount: number, city: number): CardAuthorization {
    const [, lat, lon] = CITIES[city] as readonly [string, number, number];
    return {
      eventId: `${this.#eventIdPrefix}${(this.#seq++).toString(36)}`,
      cardId: card.id,
      cardNumber: card.number,
      holderName: card.holder,
      amount: Math.max(0.5, amount),
      currency: 'EUR',
      merchantId: `m-${Math.floor(this.#rand() * 5000)}`,
      merchantCategory: this.#pick(MCC),
      // Within a few hundred metres of the city centre: people do not teleport between shops.
      lat: lat + (this.#rand() - 0.5) * 0.005,
      lon: lon + (this.#rand() - 0.5) * 0.005,
      channel: this.#rand() < 0.7 ? 'POS' : 'ECOM',
      timestamp: at,
    };
  }

  #jitter(x: number, spread: number): number {
    return Math.round(x * (1 - spread / 2 + this.#rand() * spread) * 100) / 100;
  }

  #pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.#rand() * xs.length)] as T;
  }
}
