import type { Stage, StageName } from '../stage.js';
import { hashingStage } from './hashing.js';
import { classifyingStage } from './classifying.js';
import { selectingStrategyStage } from './selecting-strategy.js';
import { processingStage } from './processing.js';
import { validatingStage } from './validating.js';
import { embeddingStage } from './embedding.js';

export const STAGES: Record<StageName, Stage> = {
  hashing: hashingStage,
  classifying: classifyingStage,
  selecting_strategy: selectingStrategyStage,
  processing: processingStage,
  validating: validatingStage,
  embedding: embeddingStage,
};
