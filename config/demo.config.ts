import { defineConfig } from '../shared/domain/config/define.js';

/**
 * The demo configuration: an online-education product. The north star is the
 * number of distinct learners who completed a course in a week.
 */
export default defineConfig({
  timeZone: 'UTC',
  maxLateness: 'P7D',
  clockSkew: 'PT5M',
  trackingPlan: {
    events: {
      page_viewed: {
        description: 'A visitor viewed a page of the site or app.',
        properties: {
          path: { type: 'string', required: true },
          channel: { type: 'enum', values: ['organic', 'paid', 'referral', 'email', 'direct'] },
        },
      },
      signed_up: {
        description: 'A visitor created an account.',
        properties: { method: { type: 'enum', values: ['email', 'google', 'apple'], required: true } },
      },
      lesson_started: {
        description: 'A learner opened a lesson.',
        properties: {
          courseId: { type: 'string', required: true },
          lessonId: { type: 'string', required: true },
        },
      },
      lesson_completed: {
        description: 'A learner finished a lesson.',
        properties: {
          courseId: { type: 'string', required: true },
          lessonId: { type: 'string', required: true },
          durationSeconds: { type: 'number' },
        },
      },
      course_completed: {
        description: 'A learner finished every lesson of a course.',
        properties: { courseId: { type: 'string', required: true }, certificate: { type: 'boolean' } },
      },
      payment_succeeded: {
        description: 'A subscription payment was captured.',
        properties: {
          amount: { type: 'number', required: true },
          currency: { type: 'enum', values: ['USD', 'EUR'], required: true },
          plan: { type: 'enum', values: ['monthly', 'annual'], required: true },
        },
      },
    },
  },
  funnels: {
    activation: {
      title: 'Activation: visit to first completed course',
      steps: [
        { event: 'page_viewed' },
        { event: 'signed_up' },
        { event: 'lesson_started' },
        { event: 'course_completed' },
      ],
      window: 'P14D',
    },
  },
  journey: {
    stages: [
      { id: 'aware', title: 'Aware', events: ['page_viewed'] },
      { id: 'registered', title: 'Registered', events: ['signed_up'] },
      { id: 'activated', title: 'Activated', events: ['lesson_completed'] },
      { id: 'paying', title: 'Paying', events: ['payment_succeeded'] },
      { id: 'retained', title: 'Retained', events: ['course_completed'] },
    ],
  },
  metrics: {
    weekly_learners: {
      kind: 'distinct_users',
      title: 'Weekly learners who completed a course',
      definition:
        'Distinct users with at least one course_completed event in the ISO week (Monday to Sunday, UTC).',
      events: ['course_completed'],
      grain: 'week',
      cadence: 'weekly',
      owner: { name: 'Head of Learning', contact: 'learning-lead@example.com', team: 'learning' },
      target: { value: 400, by: '2027-03-31', direction: 'increase' },
    },
    weekly_signups: {
      kind: 'count',
      title: 'Weekly sign-ups',
      definition: 'Number of signed_up events in the ISO week.',
      events: ['signed_up'],
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
      target: { value: 900, by: '2027-03-31', direction: 'increase' },
    },
    daily_signups: {
      kind: 'count',
      title: 'Daily sign-ups',
      definition: 'Number of signed_up events in the day.',
      events: ['signed_up'],
      grain: 'day',
      cadence: 'daily',
      parent: 'weekly_signups',
      owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
    },
    weekly_visitors: {
      kind: 'distinct_users',
      title: 'Weekly visitors',
      definition: 'Distinct users with at least one page_viewed event in the ISO week.',
      events: ['page_viewed'],
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_signups',
      owner: { name: 'Marketing', contact: 'marketing@example.com', team: 'marketing' },
      target: { value: 6000, by: '2027-03-31', direction: 'increase' },
    },
    signup_rate: {
      kind: 'ratio',
      title: 'Visitor to sign-up rate',
      definition: 'Weekly sign-ups divided by weekly visitors.',
      numerator: 'weekly_signups',
      denominator: 'weekly_visitors',
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_signups',
      owner: { name: 'Growth', contact: 'growth@example.com', team: 'growth' },
      target: { value: 0.15, by: '2027-03-31', direction: 'increase' },
    },
    activation_rate: {
      kind: 'funnel_conversion',
      title: 'Activation conversion',
      definition:
        'Of the users who first visited in the week, the share who completed a course within 14 days.',
      funnel: 'activation',
      fromStep: 1,
      toStep: 4,
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      owner: { name: 'Product: Onboarding', contact: 'onboarding@example.com', team: 'onboarding' },
      target: { value: 0.08, by: '2027-03-31', direction: 'increase' },
    },
    weekly_lesson_starters: {
      kind: 'distinct_users',
      title: 'Weekly lesson starters',
      definition: 'Distinct users with at least one lesson_started event in the ISO week.',
      events: ['lesson_started'],
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_learners',
      owner: { name: 'Product: Courses', contact: 'courses@example.com', team: 'courses' },
      target: { value: 1500, by: '2027-03-31', direction: 'increase' },
    },
    paying_learners: {
      kind: 'distinct_users',
      title: 'Paying learners',
      definition: 'Distinct users with at least one payment_succeeded event in the calendar month.',
      events: ['payment_succeeded'],
      grain: 'month',
      cadence: 'monthly',
      parent: 'weekly_learners',
      owner: { name: 'Revenue', contact: 'revenue@example.com', team: 'revenue' },
      target: { value: 800, by: '2027-06-30', direction: 'increase' },
    },
    revenue: {
      kind: 'sum',
      title: 'Revenue',
      definition:
        'Sum of the amount of payment_succeeded events in the calendar month, in USD and EUR at face value.',
      events: ['payment_succeeded'],
      property: 'amount',
      grain: 'month',
      cadence: 'monthly',
      parent: 'paying_learners',
      owner: { name: 'Revenue', contact: 'revenue@example.com', team: 'revenue' },
      target: { value: 20000, by: '2027-06-30', direction: 'increase' },
    },
    annual_plan_payments: {
      kind: 'count',
      title: 'Annual plan payments',
      definition: 'Number of payment_succeeded events with plan = annual in the calendar month.',
      events: ['payment_succeeded'],
      where: { plan: 'annual' },
      grain: 'month',
      cadence: 'quarterly',
      parent: 'revenue',
      owner: { name: 'Revenue', contact: 'revenue@example.com', team: 'revenue' },
    },
  },
  northStar: 'weekly_learners',
});
